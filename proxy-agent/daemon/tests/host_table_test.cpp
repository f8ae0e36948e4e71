#include "host_table.h"

#include <gtest/gtest.h>

namespace bnfc::proxyd {
namespace {

proto::HostReport ReportWith(const std::string& nfc) {
  proto::HostReport r;
  r.set_nfc_address(nfc);
  return r;
}

TEST(HostTableTest, NewHostAndAddressMoveAreReported) {
  HostTable t;
  EXPECT_TRUE(t.Update("esx01", "10.98.0.11", "r1", ReportWith("10.99.0.11"), 1000));
  EXPECT_FALSE(t.Update("esx01", "10.98.0.11", "r1", ReportWith("10.99.0.11"), 2000));
  EXPECT_TRUE(t.Update("esx01", "10.98.0.11", "r1", ReportWith("10.99.0.21"), 3000));
  const HostEntry* e = t.Find("esx01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->previous_nfc_address, "10.99.0.11");
  EXPECT_EQ(e->reports, 3u);
  EXPECT_EQ(e->received_ms, 3000);
}

TEST(HostTableTest, MappingInputsAreTheAddressesAndTheControlPeer) {
  HostTable t;
  proto::HostReport r = ReportWith("10.99.0.11");
  r.set_management_address("10.98.0.11");
  t.Update("esx01", "10.98.0.11", "r", r, 1000);
  const HostEntry& e = *t.Find("esx01");
  EXPECT_FALSE(MappingInputsChanged(e, "10.98.0.11", r));
  proto::HostReport other = r;
  other.mutable_host()->set_hostname("renamed");  // not a mapping input
  EXPECT_FALSE(MappingInputsChanged(e, "10.98.0.11", other));
  EXPECT_TRUE(MappingInputsChanged(e, "10.98.0.12", r));
  other = r;
  other.set_nfc_address("10.99.0.12");
  EXPECT_TRUE(MappingInputsChanged(e, "10.98.0.11", other));
  other = r;
  other.set_management_address("10.98.0.12");
  EXPECT_TRUE(MappingInputsChanged(e, "10.98.0.11", other));
}

}  // namespace
}  // namespace bnfc::proxyd

#include "report_files.h"

namespace bnfc::proxyd {
namespace {

TEST(HostTableTest, ProbesFollowTheBackupVmknicEvenDuringFailover) {
  proto::HostReport r = ReportWith("10.98.0.11");  // failover: the tag is on vmk0
  r.set_backup_vmknic("vmk2");
  auto* vmk0 = r.add_vmknics();
  vmk0->set_name("vmk0");
  vmk0->mutable_ipv4()->set_address("10.98.0.11");
  auto* vmk2 = r.add_vmknics();
  vmk2->set_name("vmk2");
  vmk2->mutable_ipv4()->set_address("10.99.0.11");
  EXPECT_EQ(BackupAddressOf(r), "10.99.0.11");
  vmk2->mutable_ipv4()->clear_address();
  vmk2->add_ipv6_addresses("fd00:99::11/64");
  EXPECT_EQ(BackupAddressOf(r), "fd00:99::11");
  r.set_backup_vmknic("vmk9");  // names a vmknic the report does not list
  EXPECT_EQ(BackupAddressOf(r), "10.98.0.11");
  r.clear_backup_vmknic();
  EXPECT_EQ(BackupAddressOf(r), "10.98.0.11");
}

TEST(PinsTextTest, LongReasonsKeepOneLinePerHost) {
  std::vector<PinRow> rows = {{"esx03", "10.98.0.13", "", "", false, std::string(300, 'x')},
                              {"esx04", "10.97.0.14", "", "", false, "short"}};
  std::string text = PinsText(rows, "");
  EXPECT_NE(text.find(std::string(300, 'x') + "\n"), std::string::npos);
  EXPECT_NE(text.find("\nesx04 "), std::string::npos);
}

TEST(PinsTextTest, HostValuesNeverPrintControlBytesRaw) {
  std::vector<PinRow> rows = {
      {"esx\x1b[2J", "10.98.0.13\x07", "eth1", "", false, "why\x1b]0;x\x07\nsecond line"}};
  std::string text = PinsText(rows, "err\x1b[31m");
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_NE(text.find("esx\\x1b[2J"), std::string::npos) << text;
  EXPECT_NE(text.find("why\\x1b]0;x\\x07\\nsecond line\n"), std::string::npos) << text;
  EXPECT_NE(PinsJson(rows, "\xff").find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

}  // namespace
}  // namespace bnfc::proxyd
