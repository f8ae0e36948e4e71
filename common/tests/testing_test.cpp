// The test doubles of bnfc_testing keep the contracts of the real seams they stand in for.
#include <gtest/gtest.h>

#include "bnfc/testing/fake_clock.h"
#include "bnfc/testing/fake_filesystem.h"
#include "bnfc/testing/fake_random.h"

namespace bnfc {
namespace {

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock(1000);
  auto steady = clock.Steady();
  EXPECT_EQ(clock.NowUnixMs(), 1000);
  clock.Advance(std::chrono::milliseconds(250));
  EXPECT_EQ(clock.NowUnixMs(), 1250);
  EXPECT_EQ(clock.Steady() - steady, std::chrono::milliseconds(250));
}

TEST(FakeFilesystem, ReadsWhatWasWrittenAndRefusesWhatIsMissingOrTooLarge) {
  FakeFilesystem files;
  Filesystem& seam = files;
  EXPECT_FALSE(seam.Exists("/etc/bnfc/a"));
  auto missing = seam.ReadFile("/etc/bnfc/a");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(seam.WriteFileAtomic("/etc/bnfc/a", "hello", 0600).ok());
  EXPECT_TRUE(seam.Exists("/etc/bnfc/a"));
  EXPECT_EQ(files.files["/etc/bnfc/a"].mode, 0600u);
  auto read = seam.ReadFile("/etc/bnfc/a");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "hello");
  auto too_large = seam.ReadFile("/etc/bnfc/a", 4);
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().code, ErrorCode::kInvalidArgument);
}

TEST(FakeFilesystem, AFailedWriteKeepsTheOldContents) {
  FakeFilesystem files;
  ASSERT_TRUE(files.WriteFileAtomic("/x", "old", 0644).ok());
  files.fail_writes = true;
  EXPECT_FALSE(files.WriteFileAtomic("/x", "new", 0644).ok());
  EXPECT_EQ(*files.ReadFile("/x"), "old");
  EXPECT_EQ(files.writes.size(), 2u);
}

TEST(FakeRandom, ReturnsQueuedValuesWithinTheBoundThenTheDefault) {
  FakeRandom random({7, 12});
  random.otherwise = 5;
  EXPECT_EQ(random.Below(10), 7u);
  EXPECT_EQ(random.Below(10), 2u);  // 12 reduced below the bound
  EXPECT_EQ(random.Below(3), 2u);   // 5 % 3
  EXPECT_EQ(random.Below(0), 0u);   // the seam's contract for bound 0
  EXPECT_EQ(random.calls, 4u);
}

}  // namespace
}  // namespace bnfc
