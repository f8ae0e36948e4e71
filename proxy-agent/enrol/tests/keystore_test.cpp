#include "keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "bnfc/fs.h"
#include "bnfc/keys.h"

namespace bnfc::enrol {
namespace {

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-enrol-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<KeyStore>(dir_ + "/enrolment.json", clock_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string NewKey() { return keys::Generate()->public_z85; }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<KeyStore> store_;
};

TEST_F(KeyStoreTest, UnknownKeyBecomesPendingOnceWithAttemptsCounted) {
  std::string key = NewKey();
  ASSERT_TRUE(store_->RecordPending(key, "10.98.0.11").ok());
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(store_->RecordPending(key, "10.98.0.11").ok());
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, KeyState::kPending);
  EXPECT_EQ((*list)[0].attempts, 2u);
  EXPECT_EQ((*list)[0].fingerprint, keys::Fingerprint(key));
  EXPECT_EQ((*list)[0].last_seen_ms - (*list)[0].first_seen_ms, 5000);
  struct stat st {};
  ASSERT_EQ(stat(store_->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(KeyStoreTest, AcceptBindsHostIdAndDefaultsToTheObservedAddress) {
  std::string key = NewKey();
  ASSERT_TRUE(store_->RecordPending(key, "10.98.0.11").ok());
  auto accepted = store_->Accept("esx01", Selector{"", "", "10.98.0.11"}, {});
  ASSERT_TRUE(accepted.ok()) << accepted.error().ToString();
  EXPECT_EQ(accepted->host_id, "esx01");
  EXPECT_EQ(accepted->sources, std::vector<std::string>{"10.98.0.11/32"});

  channel::AllowList allow;
  ASSERT_TRUE(store_->FillAllowList(&allow).ok());
  auto peer = allow.Find(key);
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->identity, "esx01");
}

TEST_F(KeyStoreTest, AcceptRefusesAmbiguityAndSecondKeyForSameHost) {
  std::string a = NewKey(), b = NewKey();
  ASSERT_TRUE(store_->RecordPending(a, "10.98.0.11").ok());
  ASSERT_TRUE(store_->RecordPending(b, "10.98.0.11").ok());
  auto ambiguous = store_->Accept("esx01", Selector{"", "", "10.98.0.11"}, {});
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, ErrorCode::kConflict);

  ASSERT_TRUE(store_->Accept("esx01", Selector{keys::Fingerprint(a), "", ""}, {}).ok());
  auto second = store_->Accept("esx01", Selector{keys::Fingerprint(b), "", ""}, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("revoke"), std::string::npos);
}

TEST_F(KeyStoreTest, RevokeRemovesAccessFromTheAllowList) {
  std::string key = NewKey();
  ASSERT_TRUE(store_->Add("esx01", key, {"10.98.0.0/24"}).ok());
  channel::AllowList allow;
  ASSERT_TRUE(store_->FillAllowList(&allow).ok());
  ASSERT_TRUE(allow.Find(key).has_value());

  auto revoked = store_->Revoke("esx01");
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, 1u);
  ASSERT_TRUE(store_->FillAllowList(&allow).ok());
  EXPECT_FALSE(allow.Find(key).has_value());
  EXPECT_FALSE(store_->Revoke("esx01").ok());
}

TEST_F(KeyStoreTest, RejectKeepsTheKeyOutAndOffThePendingList) {
  std::string key = NewKey();
  ASSERT_TRUE(store_->RecordPending(key, "10.98.0.11").ok());
  ASSERT_TRUE(store_->Reject(Selector{keys::Fingerprint(key), "", ""}).ok());
  ASSERT_TRUE(store_->RecordPending(key, "10.98.0.11").ok());  // tries again
  auto list = *store_->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].state, KeyState::kRejected);
  EXPECT_EQ(list[0].attempts, 2u);
}

TEST_F(KeyStoreTest, PendingSetIsBounded) {
  for (size_t i = 0; i < KeyStore::kMaxPending + 10; ++i) {
    clock_.Advance(std::chrono::milliseconds(1));
    ASSERT_TRUE(store_->RecordPending(NewKey(), "10.98.0.11").ok());
  }
  EXPECT_EQ(store_->List()->size(), KeyStore::kMaxPending);
}

TEST_F(KeyStoreTest, BadInputsAreRefusedWithoutChangingTheFile) {
  ASSERT_TRUE(store_->Add("esx01", NewKey(), {"10.98.0.0/24"}).ok());
  std::string before = *fs::ReadFile(store_->path());
  EXPECT_FALSE(store_->Add("esx02", "not-a-key", {"10.98.0.0/24"}).ok());
  EXPECT_FALSE(store_->Add("esx02", NewKey(), {"10.98.0.0/33"}).ok());
  EXPECT_FALSE(store_->Add("esx02", NewKey(), {}).ok());
  EXPECT_FALSE(store_->RecordPending("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", "1.2.3.4").ok());
  EXPECT_EQ(*fs::ReadFile(store_->path()), before);
}

TEST(KeyStoreFormatTest, CorruptFileGivesAPreciseError) {
  auto bad = Deserialize("{\"keys\": [{\"public_key\": \"x\", \"state\": \"pending\"}]}", "k.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("k.json: keys[0]"), std::string::npos);
  EXPECT_FALSE(Deserialize("not json", "k.json").ok());
  EXPECT_FALSE(Deserialize("{\"keys\": [{\"public_key\": \"" + keys::Generate()->public_z85 +
                               "\", \"state\": \"maybe\"}]}",
                           "k.json")
                   .ok());
}

}  // namespace
}  // namespace bnfc::enrol
