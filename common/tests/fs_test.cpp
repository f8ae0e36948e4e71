#include "bnfc/fs.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

namespace bnfc::fs {
namespace {

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-fs-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    old_umask_ = umask(022);
  }
  void TearDown() override {
    umask(old_umask_);
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::set<std::string> Entries() const {
    std::set<std::string> out;
    DIR* d = opendir(dir_.c_str());
    if (d == nullptr) {
      return out;
    }
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        out.insert(n);
      }
    }
    closedir(d);
    return out;
  }
  static mode_t ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  std::string dir_;
  mode_t old_umask_ = 0;
};

TEST_F(FsTest, WriteThenReadRoundTripsBinaryContents) {
  std::string data("a\0b\xff\n", 5);
  data += std::string(200000, 'x');  // several read() calls
  ASSERT_TRUE(WriteFileAtomic(Path("f"), data, 0644).ok());
  auto back = ReadFile(Path("f"));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, data);
  EXPECT_TRUE(Exists(Path("f")));
  EXPECT_FALSE(Exists(Path("g")));
}

TEST_F(FsTest, EmptyFile) {
  ASSERT_TRUE(WriteFileAtomic(Path("empty"), "", 0600).ok());
  auto back = ReadFile(Path("empty"));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, "");
}

TEST_F(FsTest, ModeIsExactlyTheRequestedOneRegardlessOfUmask) {
  umask(077);
  ASSERT_TRUE(WriteFileAtomic(Path("pub"), "x", 0644).ok());
  EXPECT_EQ(ModeOf(Path("pub")), 0644u);
  umask(0);
  ASSERT_TRUE(WriteFileAtomic(Path("secret"), "x", 0600).ok());
  EXPECT_EQ(ModeOf(Path("secret")), 0600u);
  // Replacing a world-readable file with a secret one does not keep the old mode.
  ASSERT_TRUE(WriteFileAtomic(Path("pub"), "y", 0600).ok());
  EXPECT_EQ(ModeOf(Path("pub")), 0600u);
  EXPECT_EQ(*ReadFile(Path("pub")), "y");
}

TEST_F(FsTest, NoTemporaryFileIsLeftBehind) {
  ASSERT_TRUE(WriteFileAtomic(Path("a"), "1", 0644).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("a"), "2", 0644).ok());
  EXPECT_EQ(Entries(), std::set<std::string>{"a"});
}

TEST_F(FsTest, RelativePathWritesInTheCurrentDirectory) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  Status s = WriteFileAtomic("rel", "r", 0644);
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*ReadFile(Path("rel")), "r");
}

// A write that fails half way (file size limit, EFBIG) leaves the old file and no temporary.
TEST_F(FsTest, FailedWriteLeavesTheOldFileIntact) {
  ASSERT_TRUE(WriteFileAtomic(Path("state"), "old contents", 0640).ok());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{100, 100};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) {
      _exit(3);
    }
    Status s = WriteFileAtomic(Path("state"), std::string(100000, 'n'), 0640);
    if (s.ok()) {
      _exit(1);
    }
    bool named = s.error().message.find("(EFBIG)") != std::string::npos &&
                 s.error().message.find(Path("state")) != std::string::npos;
    _exit(named ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: write succeeded, 2: error did not name EFBIG and the "
                                       "path, 3: setrlimit failed";
  EXPECT_EQ(*ReadFile(Path("state")), "old contents");
  EXPECT_EQ(ModeOf(Path("state")), 0640u);
  EXPECT_EQ(Entries(), std::set<std::string>{"state"});
}

TEST_F(FsTest, RenameFailureLeavesTargetAndNoTemporary) {
  // A non-empty directory in the way: rename(2) fails, nothing else changes.
  ASSERT_EQ(mkdir(Path("target").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(Path("target/inner"), "keep", 0644).ok());
  Status s = WriteFileAtomic(Path("target"), "new", 0644);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot rename the new file over '" + Path("target") + "'"),
            std::string::npos)
      << s.error().message;
  EXPECT_EQ(Entries(), std::set<std::string>{"target"});
  EXPECT_EQ(*ReadFile(Path("target/inner")), "keep");
}

TEST_F(FsTest, WriteIntoMissingDirectoryNamesIt) {
  Status s = WriteFileAtomic(Path("nodir/f"), "x", 0644);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message, "cannot create a temporary file in '" + Path("nodir") +
                                   "': No such file or directory (ENOENT)");
}

TEST_F(FsTest, ReadMissingFileIsNotFoundWithErrnoName) {
  auto r = ReadFile(Path("absent"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message,
            "cannot open '" + Path("absent") + "': No such file or directory (ENOENT)");
}

TEST_F(FsTest, ReadDirectoryIsAnError) {
  auto r = ReadFile(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot read '" + dir_ + "': Is a directory (EISDIR)");
}

TEST_F(FsTest, ReadUnreadableFileIsPermissionWithEacces) {
  ASSERT_TRUE(WriteFileAtomic(Path("secret"), "s", 0600).ok());
  if (geteuid() != 0) {
    ASSERT_EQ(chmod(Path("secret").c_str(), 0), 0);
    auto r = ReadFile(Path("secret"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kPermission);
    EXPECT_EQ(r.error().message,
              "cannot open '" + Path("secret") + "': Permission denied (EACCES)");
    return;
  }
  // root reads everything: check from a child that dropped to an unprivileged user.
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) {
      _exit(3);
    }
    auto r = ReadFile(Path("secret"));
    if (r.ok()) {
      _exit(1);
    }
    bool precise =
        r.error().code == ErrorCode::kPermission &&
        r.error().message == "cannot open '" + Path("secret") + "': Permission denied (EACCES)";
    _exit(precise ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: unprivileged read succeeded, 2: imprecise error, 3: could not drop privileges";
}

TEST_F(FsTest, SizeCapIsEnforced) {
  ASSERT_TRUE(WriteFileAtomic(Path("big"), std::string(100, 'b'), 0644).ok());
  EXPECT_TRUE(ReadFile(Path("big"), 100).ok());
  auto r = ReadFile(Path("big"), 99);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "cannot read '" + Path("big") + "': it has 100 bytes, more than the limit of 99");
}

TEST_F(FsTest, SizeCapAlsoHoldsForFilesWithoutASize) {
  // /proc files report size 0; the cap must apply to what is actually read.
  auto whole = ReadFile("/proc/self/status");
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_NE(whole->find("Pid:"), std::string::npos);
  auto capped = ReadFile("/proc/self/status", 10);
  ASSERT_FALSE(capped.ok());
  EXPECT_NE(capped.error().message.find("larger than the limit of 10 bytes"), std::string::npos)
      << capped.error().message;
}

}  // namespace
}  // namespace bnfc::fs
