#include "bnfc/log.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
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

}  // namespace
}  // namespace bnfc::log
