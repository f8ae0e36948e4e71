#include "bnfc/log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace bnfc::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-log-test.XXXXXX";
    fd_ = mkstemp(tmpl);
    ASSERT_GE(fd_, 0);
    path_ = tmpl;
  }
  void TearDown() override {
    Init(Options{});  // back to the defaults for the other tests
    close(fd_);
    unlink(path_.c_str());
  }
  Options ToFile(Level min = Level::kInfo) {
    Options o;
    o.ident = "bnfc-test";
    o.min_level = min;
    o.stderr_fd = fd_;
    return o;
  }
  std::vector<std::string> Lines() {
    std::string all;
    char buf[4096];
    ssize_t n;
    off_t off = 0;
    while ((n = pread(fd_, buf, sizeof buf, off)) > 0) {
      all.append(buf, static_cast<size_t>(n));
      off += n;
    }
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < all.size()) {
      size_t nl = all.find('\n', pos);
      EXPECT_NE(nl, std::string::npos) << "unterminated last line";
      if (nl == std::string::npos) {
        break;
      }
      lines.push_back(all.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return lines;
  }
  int fd_ = -1;
  std::string path_;
};

TEST_F(LogTest, StderrLineHasTimestampIdentPidLevelAndText) {
  Init(ToFile());
  Info("tag ensured on vmk2");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  std::regex shape(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z bnfc-test\[(\d+)\] info: tag ensured on vmk2)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, shape)) << lines[0];
  EXPECT_EQ(m[1].str(), std::to_string(getpid()));
}

TEST_F(LogTest, LevelFilter) {
  Init(ToFile(Level::kWarning));
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kWarning));
  Debug("d");
  Info("i");
  Warn("w");
  Error("e");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" warning: w"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" error: e"), std::string::npos) << lines[1];
  Init(ToFile(Level::kDebug));
  Debug("now visible");
  EXPECT_EQ(Lines().size(), 3u);
}

TEST_F(LogTest, OneMessageIsOneLine) {
  Init(ToFile());
  Warn("line one\nline two\r\x01 end");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("warning: line one\\nline two\\r\\x01 end"), std::string::npos)
      << lines[0];
}

TEST_F(LogTest, StderrOffWritesNothing) {
  Options o = ToFile();
  o.to_stderr = false;
  Init(o);
  Error("not on stderr");
  EXPECT_TRUE(Lines().empty());
}

TEST_F(LogTest, ConcurrentWritersNeverInterleave) {
  Init(ToFile());
  constexpr int kThreads = 8;
  constexpr int kEach = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kEach; ++i) {
        Info("thread " + std::to_string(t) + " message " + std::to_string(i) + " " +
             std::string(100, static_cast<char>('a' + t)));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  auto lines = Lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kEach));
  std::regex shape(R"(.*Z bnfc-test\[\d+\] info: thread (\d) message \d+ ([a-h])\2{99})");
  for (const auto& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, shape)) << line;
    EXPECT_EQ(m[2].str()[0], 'a' + std::stoi(m[1].str())) << line;
  }
}

TEST_F(LogTest, SyslogGetsDaemonFacilityAndMatchingPriority) {
  std::vector<std::pair<int, std::string>> got;
  Options o = ToFile(Level::kDebug);
  o.to_stderr = false;
  o.to_syslog = true;
  o.syslog_sink = [&got](int priority, const std::string& text) {
    got.emplace_back(priority, text);
  };
  Init(o);
  Debug("d");
  Info("i");
  Warn("w\nx");
  Error("e");
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], std::make_pair(LOG_DAEMON | LOG_DEBUG, std::string("d")));
  EXPECT_EQ(got[1], std::make_pair(LOG_DAEMON | LOG_INFO, std::string("i")));
  EXPECT_EQ(got[2], std::make_pair(LOG_DAEMON | LOG_WARNING, std::string("w\\nx")));
  EXPECT_EQ(got[3], std::make_pair(LOG_DAEMON | LOG_ERR, std::string("e")));
  EXPECT_TRUE(Lines().empty());
}

TEST(LogLevel, Parse) {
  bool ok = false;
  EXPECT_EQ(ParseLevel("debug", &ok), Level::kDebug);
  EXPECT_TRUE(ok);
  EXPECT_EQ(ParseLevel("INFO", &ok), Level::kInfo);
  EXPECT_TRUE(ok);
  EXPECT_EQ(ParseLevel("warn", &ok), Level::kWarning);
  EXPECT_TRUE(ok);
  EXPECT_EQ(ParseLevel("Warning", &ok), Level::kWarning);
  EXPECT_TRUE(ok);
  EXPECT_EQ(ParseLevel("error", &ok), Level::kError);
  EXPECT_TRUE(ok);
  ParseLevel("loud", &ok);
  EXPECT_FALSE(ok);
  ParseLevel("", &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(ParseLevel("verbose", nullptr), Level::kInfo);
  EXPECT_STREQ(LevelName(Level::kWarning), "warning");
}

// A datagram socket standing in for journald: what the logger sends is what the journal gets.
class FakeJournal {
 public:
  FakeJournal() {
    char tmpl[] = "/tmp/bnfc-journal.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/socket";
    fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ~FakeJournal() {
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  // The next entry's fields (binary-framed values decoded), or nothing after a short wait.
  std::vector<std::pair<std::string, std::string>> Next() {
    std::vector<std::pair<std::string, std::string>> out;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) {
      return out;
    }
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    std::string d(buf, n > 0 ? static_cast<size_t>(n) : 0);
    size_t pos = 0;
    while (pos < d.size()) {
      size_t nl = d.find('\n', pos);
      std::string line = d.substr(pos, nl - pos);
      size_t eq = line.find('=');
      if (eq != std::string::npos) {
        out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
        pos = nl + 1;
      } else {
        uint64_t len = 0;
        for (int i = 0; i < 8; ++i) {
          len |= static_cast<uint64_t>(static_cast<unsigned char>(d[nl + 1 + i])) << (8 * i);
        }
        out.emplace_back(line, d.substr(nl + 9, len));
        pos = nl + 9 + len + 1;
      }
    }
    return out;
  }
  std::string path() const { return path_; }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

TEST_F(LogTest, JournalGetsOneEntryWithFieldsAndNothingOnStderrOrSyslog) {
  FakeJournal journal;
  Options o = ToFile();
  o.to_syslog = true;
  int syslog_calls = 0;
  o.syslog_sink = [&](int, const std::string&) { syslog_calls++; };
  o.journal_socket = journal.path();
  Init(o);
  WriteStructured(Level::kWarning, "verdict of esx02 changed\n",
                  {{"BNFC_HOST", "esx02"},
                   {"BNFC_EVIDENCE", "line one\nline two"},
                   {"_FORGED", "x"},
                   {"lower", "x"}});
  auto fields = journal.Next();
  std::map<std::string, std::string> m(fields.begin(), fields.end());
  EXPECT_EQ(m["MESSAGE"], "verdict of esx02 changed\\n");  // escaped: one line
  EXPECT_EQ(m["PRIORITY"], std::to_string(LOG_WARNING));
  EXPECT_EQ(m["SYSLOG_IDENTIFIER"], "bnfc-test");
  EXPECT_EQ(m["BNFC_HOST"], "esx02");
  EXPECT_EQ(m["BNFC_EVIDENCE"], "line one\nline two");  // binary framing keeps it whole
  EXPECT_EQ(m.count("_FORGED"), 0u);                    // trusted fields cannot be forged
  EXPECT_EQ(m.count("lower"), 0u);
  EXPECT_TRUE(Lines().empty());
  EXPECT_EQ(syslog_calls, 0);
}

TEST_F(LogTest, WithoutAJournalStructuredFieldsFollowTheMessageOnStderr) {
  Options o = ToFile();
  o.journal_socket = "/nonexistent/journal/socket";  // refused: stderr is the fallback
  o.to_stderr = false;
  Init(o);
  WriteStructured(Level::kInfo, "verdict changed", {{"BNFC_HOST", "esx 02"}, {"BNFC_NEW", "X"}});
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("info: verdict changed bnfc_host=\"esx 02\" bnfc_new=X"),
            std::string::npos)
      << lines[0];
}

TEST_F(LogTest, StderrIsJournalOnlyWhenJournalStreamNamesStderr) {
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsJournal());
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(StderrIsJournal());
  setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":1").c_str(), 1);
  EXPECT_FALSE(StderrIsJournal());  // stderr redirected elsewhere by a child: not the journal
  unsetenv("JOURNAL_STREAM");
}

}  // namespace
}  // namespace bnfc::log
