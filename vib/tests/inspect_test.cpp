// bnfc-vib's reader on the two real VIBs and on deliberately damaged copies of one.
#include <gtest/gtest.h>

#include "bnfc/vib/digest.h"
#include "bnfc/vib/inspect.h"
#include "test_util.h"

namespace bnfc::vib {
namespace {

using testing::Describe;
using testing::Fixture;
using testing::HasCode;
using testing::Members;
using testing::Pack;
using testing::Replace;

const char* kNsx = "esxcli-nsx-ext.vib";
const char* kHwmond = "hwmond-xserve-3.2.5.vib";

TEST(FixtureVib, NsxExtPassesEveryCheckWithoutAnyProblem) {
  std::string bytes = Fixture(kNsx);
  VibReport r = InspectVib(bytes);
  EXPECT_TRUE(r.problems.empty()) << Describe(r.problems);
  EXPECT_EQ(r.sha256, "346ce3917014f3153b21cfe2006dbc58266fa4e07b8831daaf8bc724de57607e");
  ASSERT_EQ(r.members.size(), 3u);
  EXPECT_EQ(r.members[0].name, "descriptor.xml");
  EXPECT_EQ(r.members[0].raw_name, "descriptor.xml/");
  EXPECT_TRUE(r.members[0].gnu_name);
  EXPECT_EQ(r.members[0].mode, "644");
  EXPECT_EQ(r.members[0].mtime, "0");
  EXPECT_EQ(r.members[0].size, 2101u);
  EXPECT_EQ(r.members[1].size, 0u);
  EXPECT_EQ(r.members[2].name, "esxcli-nsx-ext");
  EXPECT_EQ(r.members[2].size, 5454u);
  EXPECT_FALSE(r.signed_vib);
  ASSERT_TRUE(r.descriptor);
  EXPECT_EQ(VibId(*r.descriptor), "esxcliext_bootbank_esxcli-nsx-ext_1.0.0-0.0.0");
  EXPECT_EQ(r.descriptor->files.size(), 9u);
  ASSERT_EQ(r.payloads.size(), 1u);
  const PayloadInfo& p = r.payloads[0].info;
  // The values esxi.md §3.3 recomputed by hand.
  EXPECT_EQ(p.sha256, "b6dc176972ae5e5d5e6a62a7d402a1d1d1da2c122a7b37bad7f788f6c133f890");
  EXPECT_EQ(p.gunzip_sha256, "e49b46bcf9a22f674354be7cd55a3868d85108e6ea36cab15c2833d44a9683aa");
  EXPECT_EQ(p.gunzip_sha1, "efff74fce3dc9f02103291ceb7928dca5fa4a810");
  EXPECT_EQ(p.tar_format, "gnu");
  EXPECT_EQ(p.entries.size(), 17u);  // 8 directories, 9 files
}

TEST(FixtureVib, HwmondPassesWithNotesForItsOldStyle) {
  std::string bytes = Fixture(kHwmond);
  VibReport r = InspectVib(bytes);
  EXPECT_FALSE(HasErrors(r.problems)) << Describe(r.problems);
  EXPECT_EQ(r.sha256, "d782289b0fd4574d30445acc95ff386b51a077ce762ae9b0f44eb139f74c27b5");
  ASSERT_EQ(r.members.size(), 3u);
  EXPECT_FALSE(r.members[0].gnu_name);  // plain names, mode 100644 from a Python writer
  EXPECT_EQ(r.members[0].mode, "100644");
  EXPECT_EQ(r.members[2].name, "payload1");
  ASSERT_EQ(r.payloads.size(), 1u);
  EXPECT_EQ(r.payloads[0].info.tar_format, "visor");
  EXPECT_EQ(r.payloads[0].info.sha256,
            "4a2fbd425e6c8dfd5863dff359d931a3a9f6777e16886a4560f4c78215fe3289");
  // Only the plain sha-256 is shipped, and the visor tar is labelled tgz: notes, not errors.
  EXPECT_TRUE(HasCode(r.problems, "PAYLOAD_CHECKSUM_MISSING"));
  EXPECT_TRUE(HasCode(r.problems, "PAYLOAD_TYPE_MISMATCH"));
  EXPECT_EQ(r.problems.size(), 2u) << Describe(r.problems);
}

TEST(FixtureVib, JsonListsMembersDescriptorAndPayload) {
  auto j = ToJson(InspectVib(Fixture(kNsx)));
  EXPECT_EQ(j["kind"], "vib");
  EXPECT_EQ(j["members"][2]["style"], "gnu");
  EXPECT_EQ(j["descriptor"]["acceptance_level"], "community");
  EXPECT_EQ(j["payloads"][0]["tar_format"], "gnu");
  EXPECT_EQ(j["ok"], true);
}

// --- damaged copies of the nsx VIB: each damage yields its named problem ---

class Damaged : public ::testing::Test {
 protected:
  void SetUp() override { members_ = Members(Fixture(kNsx)); }
  std::string& Descriptor() { return members_[0].data; }
  std::string& Payload() { return members_[2].data; }
  Problems Check() { return InspectVib(Pack(members_)).problems; }
  std::vector<ArInput> members_;
};

TEST_F(Damaged, UntouchedRepackIsClean) {
  // Re-packing with our writer changes nothing that matters.
  EXPECT_TRUE(Check().empty()) << Describe(Check());
}

TEST_F(Damaged, FlippedPayloadByte) {
  Payload()[Payload().size() / 2] ^= 0x01;
  Problems p = Check();
  EXPECT_TRUE(HasCode(p, "PAYLOAD_SHA256_MISMATCH")) << Describe(p);
  EXPECT_TRUE(HasErrors(p));
}

TEST_F(Damaged, FlippedGzipTrailerIsACorruptGzip) {
  Payload()[Payload().size() - 6] ^= 0x01;  // inside the CRC-32
  Problems p = Check();
  EXPECT_TRUE(HasCode(p, "PAYLOAD_SHA256_MISMATCH")) << Describe(p);
  EXPECT_TRUE(HasCode(p, "PAYLOAD_NOT_GZIP")) << Describe(p);
}

TEST_F(Damaged, WrongSizeInDescriptor) {
  Descriptor() = Replace(Descriptor(), "size=\"5454\"", "size=\"5455\"");
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), std::vector<std::string>{"PAYLOAD_SIZE_MISMATCH"})
      << Describe(p);
}

TEST_F(Damaged, WrongGunzipChecksums) {
  Descriptor() = Replace(Descriptor(), "efff74fce3dc9f02103291ceb7928dca5fa4a810",
                         "efff74fce3dc9f02103291ceb7928dca5fa4a811");
  Descriptor() =
      Replace(Descriptor(), "e49b46bcf9a22f674354be7cd55a3868", "049b46bcf9a22f674354be7cd55a3868");
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), (std::vector<std::string>{"PAYLOAD_GUNZIP_SHA256_MISMATCH",
                                                              "PAYLOAD_GUNZIP_SHA1_MISMATCH"}))
      << Describe(p);
}

TEST_F(Damaged, TruncatedArchive) {
  std::string bytes = Pack(members_);
  bytes.resize(bytes.size() - 100);
  Problems p = InspectVib(bytes).problems;
  EXPECT_TRUE(HasCode(p, "AR_TRUNCATED")) << Describe(p);
  EXPECT_TRUE(HasCode(p, "MEMBER_MISSING")) << Describe(p);
}

TEST_F(Damaged, TruncatedInsideAHeader) {
  std::string bytes = Pack(members_);
  bytes.resize(8 + 30);
  Problems p = InspectVib(bytes).problems;
  EXPECT_TRUE(HasCode(p, "AR_TRUNCATED")) << Describe(p);
}

TEST_F(Damaged, MissingDescriptor) {
  members_.erase(members_.begin());
  Problems p = Check();
  EXPECT_TRUE(HasCode(p, "MEMBER_MISSING")) << Describe(p);
  EXPECT_NE(Describe(p).find("descriptor.xml"), std::string::npos);
}

TEST_F(Damaged, MissingSignatureMember) {
  members_.erase(members_.begin() + 1);
  Problems p = Check();
  EXPECT_TRUE(HasCode(p, "MEMBER_MISSING")) << Describe(p);
  EXPECT_NE(Describe(p).find("sig.pkcs7"), std::string::npos);
}

TEST_F(Damaged, MissingPayloadMember) {
  members_.pop_back();
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), std::vector<std::string>{"MEMBER_MISSING"}) << Describe(p);
}

TEST_F(Damaged, BadXml) {
  Descriptor() = Replace(Descriptor(), "</vendor>", "</vendr>");
  Problems p = Check();
  ASSERT_TRUE(HasCode(p, "DESCRIPTOR_XML")) << Describe(p);
  EXPECT_NE(Describe(p).find("line 5"), std::string::npos) << Describe(p);
}

TEST_F(Damaged, WrongRootElement) {
  Descriptor() = "<bulletin/>";
  Problems p = Check();
  EXPECT_TRUE(HasCode(p, "DESCRIPTOR_XML")) << Describe(p);
}

TEST_F(Damaged, WrongMemberOrder) {
  std::swap(members_[0], members_[1]);
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), (std::vector<std::string>{"MEMBER_ORDER", "MEMBER_ORDER"}))
      << Describe(p);
}

TEST_F(Damaged, PayloadBeforeSignature) {
  std::swap(members_[1], members_[2]);
  Problems p = Check();
  EXPECT_TRUE(HasCode(p, "MEMBER_ORDER")) << Describe(p);
}

TEST_F(Damaged, ExtraMember) {
  members_.push_back({"notes.txt", "hello"});
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), std::vector<std::string>{"MEMBER_UNEXPECTED"}) << Describe(p);
}

TEST_F(Damaged, DuplicateMember) {
  members_.push_back(members_[1]);
  Problems p = Check();
  EXPECT_TRUE(HasCode(p, "MEMBER_DUPLICATE")) << Describe(p);
}

TEST_F(Damaged, MissingDescriptorElement) {
  Descriptor() = Replace(Descriptor(), "<overlay>false</overlay>", "");
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), std::vector<std::string>{"DESCRIPTOR_ELEMENT_MISSING"})
      << Describe(p);
}

TEST_F(Damaged, BadBooleanAndAcceptanceLevel) {
  Descriptor() = Replace(Descriptor(), "<live-install-allowed>true", "<live-install-allowed>yes");
  Descriptor() = Replace(Descriptor(), "<acceptance-level>community", "<acceptance-level>trusted");
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p),
            (std::vector<std::string>{"DESCRIPTOR_BAD_VALUE", "DESCRIPTOR_BAD_VALUE"}))
      << Describe(p);
}

TEST_F(Damaged, FileListDisagreesWithPayload) {
  Descriptor() = Replace(Descriptor(), "<file>usr/lib/vmware/esxcli/ext/nsx-netstats.xml</file>",
                         "<file>usr/lib/vmware/esxcli/ext/missing.xml</file>");
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p),
            (std::vector<std::string>{"FILE_LIST_MISMATCH", "FILE_LIST_MISMATCH"}))
      << Describe(p);
}

TEST_F(Damaged, PayloadThatIsNotGzip) {
  Payload() = "plain text, not a tar.gz";
  std::string d = Descriptor();
  d = Replace(d, "size=\"5454\"", "size=\"" + std::to_string(Payload().size()) + "\"");
  d = Replace(d, "b6dc176972ae5e5d5e6a62a7d402a1d1d1da2c122a7b37bad7f788f6c133f890",
              Sha256Hex(Payload()));
  Descriptor() = d;
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), std::vector<std::string>{"PAYLOAD_NOT_GZIP"}) << Describe(p);
}

TEST_F(Damaged, UnknownPayloadType) {
  Descriptor() = Replace(Descriptor(), "type=\"tgz\"", "type=\"zip\"");
  Problems p = Check();
  EXPECT_EQ(testing::ErrorCodes(p), std::vector<std::string>{"PAYLOAD_TYPE_UNKNOWN"})
      << Describe(p);
}

TEST(DamagedBytes, BadMagic) {
  std::string bytes = Fixture(kNsx);
  bytes[1] = 'X';
  Problems p = InspectVib(bytes).problems;
  EXPECT_TRUE(HasCode(p, "AR_BAD_MAGIC")) << Describe(p);
}

TEST(DamagedBytes, BrokenHeaderTerminator) {
  std::string bytes = Fixture(kNsx);
  bytes[8 + 58] = 'x';  // the "`\n" of the first member header
  Problems p = InspectVib(bytes).problems;
  EXPECT_TRUE(HasCode(p, "AR_BAD_HEADER")) << Describe(p);
  EXPECT_NE(Describe(p).find("offset 8"), std::string::npos);
}

TEST(DamagedBytes, NonNumericSize) {
  std::string bytes = Fixture(kNsx);
  bytes[8 + 48] = 'z';
  Problems p = InspectVib(bytes).problems;
  EXPECT_TRUE(HasCode(p, "AR_BAD_HEADER")) << Describe(p);
}

TEST(DamagedBytes, EmptyFileAndGarbageNeverCrash) {
  for (const std::string& s : {std::string(), std::string("!<arch>\n"), std::string(61, '\0'),
                               std::string("!<arch>\n") + std::string(60, ' ')}) {
    VibReport r = InspectVib(s);
    EXPECT_TRUE(HasErrors(r.problems)) << Describe(r.problems);
  }
}

TEST(Detect, KindFromFirstBytes) {
  EXPECT_EQ(DetectKind("!<arch>\nxx"), FileKind::kVib);
  EXPECT_EQ(DetectKind(std::string("PK\x03\x04", 4)), FileKind::kBundle);
  EXPECT_EQ(DetectKind("hello"), FileKind::kUnknown);
}

}  // namespace
}  // namespace bnfc::vib
