#include "keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "bnfc/fs.h"
#include "bnfc/keys.h"
#include "bnfc/testing/fake_clock.h"

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
  auto bad = Deserialize(
      "{\"version\": 1, \"keys\": [{\"public_key\": \"x\", \"state\": \"pending\"}]}", "k.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("k.json: keys[0]"), std::string::npos);
  EXPECT_FALSE(Deserialize("not json", "k.json").ok());
  EXPECT_FALSE(Deserialize("{\"version\": 1, \"keys\": [{\"public_key\": \"" +
                               keys::Generate()->public_z85 + "\", \"state\": \"maybe\"}]}",
                           "k.json")
                   .ok());
}

uint64_t RevisionOf(const std::string& path) {
  auto snapshot = KeyStore(path, SystemClock::Instance()).Read();
  return snapshot.ok() ? snapshot->revision : 0;
}

TEST_F(KeyStoreTest, EveryWriterMovesTheRevision) {
  std::string a = NewKey(), b = NewKey(), c = NewKey();
  EXPECT_EQ(RevisionOf(store_->path()), 0u);  // no file yet
  ASSERT_TRUE(store_->RecordPending(a, "10.98.0.11").ok());
  EXPECT_EQ(RevisionOf(store_->path()), 1u);
  ASSERT_TRUE(store_->RecordPending(a, "10.98.0.11").ok());  // only bookkeeping changes
  EXPECT_EQ(RevisionOf(store_->path()), 2u);
  ASSERT_TRUE(store_->Accept("esx01", Selector{keys::Fingerprint(a), "", ""}, {}).ok());
  EXPECT_EQ(RevisionOf(store_->path()), 3u);
  ASSERT_TRUE(store_->RecordPending(b, "10.98.0.12").ok());
  ASSERT_TRUE(store_->Reject(Selector{keys::Fingerprint(b), "", ""}).ok());
  EXPECT_EQ(RevisionOf(store_->path()), 5u);
  ASSERT_TRUE(store_->Add("esx03", c, {"10.98.0.0/24"}).ok());
  EXPECT_EQ(RevisionOf(store_->path()), 6u);
  ASSERT_TRUE(store_->Revoke("esx01").ok());
  EXPECT_EQ(RevisionOf(store_->path()), 7u);
  // A refused change writes nothing and leaves the revision alone.
  EXPECT_FALSE(store_->Revoke("esx01").ok());
  EXPECT_EQ(RevisionOf(store_->path()), 7u);
}

TEST_F(KeyStoreTest, HostIdsOutsideTheGrammarAreRefusedByEveryCommand) {
  ASSERT_TRUE(store_->Add("esx01", NewKey(), {"10.98.0.0/24"}).ok());
  std::string pending = NewKey();
  ASSERT_TRUE(store_->RecordPending(pending, "10.98.0.12").ok());
  std::string before = *fs::ReadFile(store_->path());
  const std::string bad_ids[] = {"",
                                 "../x",
                                 std::string(10000, 'a'),
                                 "esx02\n",
                                 "esx\x1b]0;owned\x07",
                                 "esx\xff\xfe",  // invalid UTF-8: used to abort in the JSON writer
                                 std::string("esx\0", 4)};
  for (const auto& id : bad_ids) {
    auto added = store_->Add(id, NewKey(), {"10.98.0.0/24"});
    ASSERT_FALSE(added.ok());
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(added.error().message.find("host id"), std::string::npos) << added.error().message;
    auto accepted = store_->Accept(id, Selector{keys::Fingerprint(pending), "", ""}, {});
    ASSERT_FALSE(accepted.ok());
    EXPECT_EQ(accepted.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(store_->Revoke(id).ok());
  }
  EXPECT_EQ(*fs::ReadFile(store_->path()), before);
}

TEST_F(KeyStoreTest, SourcesTheDaemonWouldRefuseAreNeverWritten) {
  ASSERT_TRUE(store_->Add("esx01", NewKey(), {"10.98.0.0/24"}).ok());
  std::string before = *fs::ReadFile(store_->path());
  for (const char* bad : {"999.0.0.1/40", "10.98.0.1/33", "", "10.98.0.1/24 ", "x"}) {
    auto added = store_->Add("esx02", NewKey(), {bad});
    ASSERT_FALSE(added.ok()) << bad;
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(*fs::ReadFile(store_->path()), before);
  // And what was written loads with the daemon's own reader.
  channel::AllowList allow;
  EXPECT_TRUE(store_->FillAllowList(&allow).ok());
}

TEST_F(KeyStoreTest, StoreOfAnotherVersionIsRefusedAndNeverRewritten) {
  std::string key = NewKey();
  std::string future = "{\"version\": 99, \"revision\": 4, \"keys\": [{\"public_key\": \"" + key +
                       "\", \"state\": \"accepted\", \"host_id\": \"esx01\", \"sources\": "
                       "[\"10.98.0.0/24\"], \"new_field\": {\"x\": 1}}]}\n";
  ASSERT_TRUE(fs::WriteFileAtomic(store_->path(), future, 0600).ok());
  auto list = store_->List();
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("version 99 is not supported"), std::string::npos)
      << list.error().message;
  EXPECT_FALSE(store_->RecordPending(NewKey(), "10.98.0.11").ok());
  EXPECT_FALSE(store_->Add("esx02", NewKey(), {"10.98.0.0/24"}).ok());
  EXPECT_FALSE(store_->Revoke("esx01").ok());
  channel::AllowList allow;
  EXPECT_FALSE(store_->FillAllowList(&allow).ok());
  EXPECT_EQ(*fs::ReadFile(store_->path()), future);

  for (const char* version :
       {"", "\"version\": \"1\", ", "\"version\": 1.5, ", "\"version\": 0, "}) {
    std::string text = std::string("{") + version + "\"keys\": []}";
    EXPECT_FALSE(Deserialize(text, "k.json").ok()) << text;
  }
  EXPECT_TRUE(Deserialize("{\"version\": 1, \"keys\": []}", "k.json").ok());
}

TEST(KeyStoreFormatTest, TheValidatorRefusesWhatTheDaemonCouldNotEnforce) {
  std::string a = keys::Generate()->public_z85, b = keys::Generate()->public_z85;
  auto doc = [](const std::string& keys_json) {
    return "{\"version\": 1, \"revision\": 3, \"keys\": [" + keys_json + "]}";
  };
  auto accepted = [](const std::string& key, const std::string& host, const std::string& src) {
    return "{\"public_key\": \"" + key + "\", \"state\": \"accepted\", \"host_id\": \"" + host +
           "\", \"sources\": [" + src + "]}";
  };
  auto good = Parse(doc(accepted(a, "esx01", "\"10.98.0.0/24\"")), "k.json");
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  EXPECT_EQ(good->revision, 3u);
  const std::pair<std::string, std::string> cases[] = {
      {doc(accepted(a, "", "\"10.98.0.0/24\"")), "host id"},
      {doc(accepted(a, "../x", "\"10.98.0.0/24\"")), "host id"},
      {doc(accepted(a, "esx01", "")), "source"},
      {doc(accepted(a, "esx01", "\"999.0.0.1/40\"")), "source"},
      {doc(accepted(a, "esx01", "\"10.98.0.0/24\"") + "," + accepted(b, "esx01", "\"10.0.0.0/8\"")),
       "one accepted key per host"},
      {doc(accepted(a, "esx01", "\"10.98.0.0/24\"") + "," + accepted(a, "esx02", "\"10.0.0.0/8\"")),
       "appears twice"},
      {"{\"version\": 1, \"revision\": -1, \"keys\": []}", "revision"},
  };
  for (const auto& [text, expected] : cases) {
    auto parsed = Parse(text, "k.json");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.error().message.find(expected), std::string::npos) << parsed.error().message;
  }
}

TEST_F(KeyStoreTest, AFifoInThePlaceOfTheStoreIsRefusedNotWaitedOn) {
  ASSERT_EQ(mkfifo(store_->path().c_str(), 0600), 0);
  auto list = store_->List();
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("not a regular file"), std::string::npos);
}

TEST(StoreChangeTest, StatIsTrustedOnlyOnceTheFileIsOlderThanTheReadThatSawIt) {
  StoreSnapshot seen;
  seen.stamp.exists = true;
  seen.stamp.inode = 7;
  seen.stamp.size = 100;
  seen.stamp.mtime_ns = seen.stamp.ctime_ns = 1'000'000'000'000;
  const int64_t written = seen.stamp.mtime_ns;
  // Read long after the last write: the same stamp means the same file.
  EXPECT_FALSE(StoreMayHaveChanged(seen, written + 10 * kRacyStampWindowNs, seen.stamp));
  // Read in the same tick as the write: a second write in that tick keeps mtime, so read again.
  EXPECT_TRUE(StoreMayHaveChanged(seen, written, seen.stamp));
  EXPECT_TRUE(StoreMayHaveChanged(seen, written + kRacyStampWindowNs - 1, seen.stamp));
  // Any field of the stamp moving means a change, whatever the times.
  for (auto change : std::vector<void (*)(FileStamp&)>{
           [](FileStamp& f) { f.inode++; }, [](FileStamp& f) { f.size++; },
           [](FileStamp& f) { f.ctime_ns++; }, [](FileStamp& f) { f.mtime_ns--; },
           [](FileStamp& f) { f.exists = false; }}) {
    FileStamp now = seen.stamp;
    change(now);
    EXPECT_TRUE(StoreMayHaveChanged(seen, written + 10 * kRacyStampWindowNs, now));
  }
  StoreSnapshot missing;  // no file then, none now
  EXPECT_FALSE(StoreMayHaveChanged(missing, 0, FileStamp{}));
}

}  // namespace
}  // namespace bnfc::enrol
