#include "bnfc/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

namespace bnfc::config {
namespace {

using std::chrono::milliseconds;

Schema HostSchema() {
  return {
      KeySpec::Make("host_id", Type::kString, "name of this host in reports").Required(),
      KeySpec::Make("interval", Type::kDuration, "time between checks").Default("30s"),
      KeySpec::Make("port", Type::kInt, "proxy port").Range(1, 65535).Default("9902"),
      KeySpec::Make("offset", Type::kInt, "any integer").Range(0, -1),
      KeySpec::Make("failover", Type::kBool, "move the tag to management after failures"),
      KeySpec::Make("tag_policy", Type::kEnum, "what to do with the tag")
          .Choices({"ensure", "observe"})
          .Default("observe"),
      KeySpec::Make("proxy", Type::kIpAddress, "a proxy backup address").Repeated(),
      KeySpec::Make("backup_subnet", Type::kPrefix, "subnet of the backup vmknic"),
      KeySpec::Make("key_file", Type::kPath, "secret key"),
  };
}

Expected<Config> Parse(const std::string& text, const Schema& schema) {
  return ParseText(text, "hostd.conf", schema);
}

std::string ErrorOf(const std::string& text, const Schema& schema) {
  auto c = Parse(text, schema);
  EXPECT_FALSE(c.ok()) << "parsed although an error was expected:\n" << text;
  return c.ok() ? std::string() : c.error().message;
}

TEST(ConfigParse, TypedAccessAndDefaults) {
  Schema schema = HostSchema();
  auto c = Parse(
      "# backupnfc host agent\n"
      "host_id = esx01\n"
      "\n"
      "   interval=5m   \n"
      "port = 902\n"
      "offset = -12\n"
      "failover = Yes\n"
      "proxy = 10.99.0.100\n"
      "proxy = 2001:DB8::100   # second proxy\n"
      "backup_subnet = 10.99.0.0/24\n"
      "key_file = /etc/bnfc/hostd.key\n",
      schema);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source(), "hostd.conf");
  EXPECT_EQ(c->GetString("host_id"), "esx01");
  EXPECT_EQ(c->GetDuration("interval"), milliseconds(300000));
  EXPECT_EQ(c->GetInt("port"), 902);
  EXPECT_EQ(c->GetInt("offset"), -12);
  EXPECT_EQ(c->GetBool("failover"), true);
  EXPECT_EQ(c->GetString("tag_policy"), "observe");  // default
  EXPECT_EQ(c->GetAll("tag_policy").at(0).line, 0);
  auto proxies = c->GetAll("proxy");
  ASSERT_EQ(proxies.size(), 2u);
  EXPECT_EQ(proxies[0].value, "10.99.0.100");
  EXPECT_EQ(proxies[0].line, 8);
  EXPECT_EQ(proxies[1].value, "2001:DB8::100");
  EXPECT_EQ(proxies[1].line, 9);
  EXPECT_EQ(c->GetIpAddress("proxy")->ToString(), "2001:db8::100");  // last one
  EXPECT_EQ(c->GetPrefix("backup_subnet")->ToString(), "10.99.0.0/24");
  EXPECT_EQ(c->GetString("key_file"), "/etc/bnfc/hostd.key");
}

TEST(ConfigParse, AbsentOptionalKeys) {
  Schema schema = HostSchema();
  auto c = Parse("host_id = a\n", schema);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->Has("failover"));
  EXPECT_EQ(c->GetBool("failover"), std::nullopt);
  EXPECT_EQ(c->GetIpAddress("proxy"), std::nullopt);
  EXPECT_TRUE(c->GetAll("proxy").empty());
  EXPECT_EQ(c->GetStringOr("key_file", "/none"), "/none");
  EXPECT_TRUE(c->Has("interval"));  // from its default
  EXPECT_EQ(c->GetDuration("interval"), milliseconds(30000));
  EXPECT_EQ(c->GetInt("port"), 9902);
}

TEST(ConfigParse, QuotedValues) {
  Schema schema = HostSchema();
  auto c = Parse("host_id = \"  esx 01 # not a comment \\\"x\\\" \\\\ \"  # comment\n", schema);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->GetString("host_id"), "  esx 01 # not a comment \"x\" \\ ");
  auto typed = Parse("host_id = a\ninterval = \"2s\"\n", schema);
  ASSERT_TRUE(typed.ok()) << typed.error().message;
  EXPECT_EQ(typed->GetDuration("interval"), milliseconds(2000));
}

TEST(ConfigParse, HashInsideAWordIsKept) {
  Schema schema = HostSchema();
  auto c = Parse("host_id = esx#01 # trailing\n", schema);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->GetString("host_id"), "esx#01");
}

TEST(ConfigParse, EmptyStringValueIsAllowedButNotForTypedKeys) {
  Schema schema = HostSchema();
  auto c = Parse("host_id =\n", schema);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->GetString("host_id"), "");
  EXPECT_EQ(ErrorOf("host_id = a\nport =\n", schema),
            "hostd.conf line 2: key 'port': expected an integer from 1 to 65535, got ''");
}

TEST(ConfigParse, CrlfAndBomAndNoFinalNewline) {
  Schema schema = HostSchema();
  auto c = Parse("\xEF\xBB\xBFhost_id = esx01\r\nport = 1\r\nfailover = off", schema);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->GetString("host_id"), "esx01");
  EXPECT_EQ(c->GetInt("port"), 1);
  EXPECT_EQ(c->GetBool("failover"), false);
}

TEST(ConfigErrors, WrongTypeNamesFileLineKeyAndExpectation) {
  Schema schema = HostSchema();
  EXPECT_EQ(ErrorOf("host_id = a\n\n\n\n\n\ninterval = soon\n", schema),
            "hostd.conf line 7: key 'interval': expected a duration like 30s or 5m, got 'soon'");
  EXPECT_EQ(ErrorOf("host_id = a\nport = 70000\n", schema),
            "hostd.conf line 2: key 'port': expected an integer from 1 to 65535, got '70000'");
  EXPECT_EQ(ErrorOf("host_id = a\nport = 0\n", schema),
            "hostd.conf line 2: key 'port': expected an integer from 1 to 65535, got '0'");
  EXPECT_EQ(ErrorOf("host_id = a\noffset = 12x\n", schema),
            "hostd.conf line 2: key 'offset': expected an integer, got '12x'");
  EXPECT_EQ(ErrorOf("host_id = a\noffset = 99999999999999999999\n", schema),
            "hostd.conf line 2: key 'offset': expected an integer, got '99999999999999999999'");
  EXPECT_EQ(ErrorOf("host_id = a\nfailover = maybe\n", schema),
            "hostd.conf line 2: key 'failover': expected true or false (also yes/no, on/off, "
            "1/0), got 'maybe'");
  EXPECT_EQ(
      ErrorOf("host_id = a\ntag_policy = enforce\n", schema),
      "hostd.conf line 2: key 'tag_policy': expected one of ensure or observe, got 'enforce'");
  EXPECT_EQ(ErrorOf("host_id = a\nkey_file = etc/key\n", schema),
            "hostd.conf line 2: key 'key_file': expected an absolute path like /etc/bnfc/key, got "
            "'etc/key'");
}

TEST(ConfigErrors, AddressErrorsCarryTheReason) {
  Schema schema = HostSchema();
  std::string e = ErrorOf("host_id = a\nproxy = 1.2.3\n", schema);
  EXPECT_EQ(e.rfind("hostd.conf line 2: key 'proxy': expected an IP address like 192.0.2.10 or "
                    "2001:db8::10, got '1.2.3' (",
                    0),
            0u)
      << e;
  e = ErrorOf("host_id = a\nbackup_subnet = 10.0.0.1/33\n", schema);
  EXPECT_NE(e.find("hostd.conf line 2: key 'backup_subnet': expected a prefix like"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("0 to 32"), std::string::npos) << e;
  e = ErrorOf("host_id = a\ninterval = 1.0001s\n", schema);
  EXPECT_NE(e.find("finer than a millisecond"), std::string::npos) << e;
  e = ErrorOf("host_id = a\ninterval = 5min\n", schema);
  EXPECT_NE(e.find("unknown unit 'min'"), std::string::npos) << e;
}

TEST(ConfigErrors, UnknownKeyListsKnownKeysAndSuggests) {
  Schema schema = HostSchema();
  EXPECT_EQ(ErrorOf("host_id = a\nfoo = 1\n", schema),
            "hostd.conf line 2: unknown key 'foo'; (known keys: host_id, interval, port, offset, "
            "failover, tag_policy, proxy, backup_subnet, key_file)");
  std::string e = ErrorOf("intervall = 5s\n", schema);
  EXPECT_EQ(e.rfind("hostd.conf line 1: unknown key 'intervall'; did you mean 'interval'? (known "
                    "keys: ",
                    0),
            0u)
      << e;
}

TEST(ConfigErrors, DuplicateKeyNamesBothLines) {
  Schema schema = HostSchema();
  EXPECT_EQ(ErrorOf("host_id = a\nport = 1\n# x\nport = 2\n", schema),
            "hostd.conf line 4: key 'port' is already set on line 2; it may appear only once");
}

TEST(ConfigErrors, MissingRequiredKey) {
  Schema schema = HostSchema();
  EXPECT_EQ(ErrorOf("port = 1\n", schema),
            "hostd.conf: missing required key 'host_id' (name of this host in reports): expected "
            "a line like 'host_id = ...' with a string");
  auto c = Parse("", schema);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
}

TEST(ConfigErrors, Syntax) {
  Schema schema = HostSchema();
  EXPECT_EQ(ErrorOf("host_id = a\nport 902\n", schema),
            "hostd.conf line 2: expected 'key = value', got 'port 902'");
  EXPECT_EQ(ErrorOf("[main]\nhost_id = a\n", schema),
            "hostd.conf line 1: expected 'key = value', got '[main]' (sections are not supported)");
  EXPECT_EQ(ErrorOf("= a\n", schema), "hostd.conf line 1: missing key before '=' in '= a'");
  EXPECT_EQ(ErrorOf("host id = a\n", schema),
            "hostd.conf line 1: invalid key 'host id': keys are letters, digits, '_', '-' and "
            "'.' (expected 'key = value')");
  EXPECT_EQ(ErrorOf("host_id = \"abc\n", schema),
            "hostd.conf line 1: key 'host_id': missing closing '\"' in quoted value");
  EXPECT_EQ(ErrorOf("host_id = \"abc\" def\n", schema),
            "hostd.conf line 1: key 'host_id': unexpected text after the closing quote: 'def'");
  EXPECT_EQ(ErrorOf("host_id = \"a\\nb\"\n", schema),
            "hostd.conf line 1: key 'host_id': unknown escape '\\n' in quoted value (only \\\" "
            "and \\\\ exist)");
  EXPECT_EQ(ErrorOf(std::string("host_id = a\0b\n", 14), schema),
            "hostd.conf line 1: unexpected control character 0x00 at column 12");
  EXPECT_EQ(ErrorOf("host_id = a\rb\n", schema),
            "hostd.conf line 1: unexpected control character 0x0d at column 12");
  // A byte order mark anywhere but the start is not a key character.
  std::string e = ErrorOf("host_id = a\n\xEF\xBB\xBFport = 1\n", schema);
  EXPECT_EQ(e.rfind("hostd.conf line 2: invalid key '\\xef\\xbb\\xbfport'", 0), 0u) << e;
}

TEST(ConfigErrors, BadSchemaIsAnInternalError) {
  Schema dup = {KeySpec::Make("a", Type::kString, ""), KeySpec::Make("a", Type::kInt, "")};
  auto c = Parse("", dup);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInternal);
  EXPECT_EQ(c.error().message, "config schema, key 'a': declared twice");
  auto d = Parse("", {KeySpec::Make("t", Type::kDuration, "").Default("later")});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message,
            "config schema, key 't': bad default: expected a duration like 30s or 5m, got 'later'");
  auto e = Parse("", {KeySpec::Make("e", Type::kEnum, "")});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "config schema, key 'e': enum without choices");
}

TEST(ConfigDeathTest, UndeclaredKeyOrWrongGetterAborts) {
  Schema schema = HostSchema();
  auto c = Parse("host_id = a\n", schema);
  ASSERT_TRUE(c.ok());
  EXPECT_DEATH(c->GetString("nope"), "not in the schema");
  EXPECT_DEATH(c->GetInt("interval"),
               "GetInt\\('interval'\\) but the schema declares it as duration");
}

TEST(ConfigDuration, Accepted) {
  struct Case {
    const char* text;
    long long ms;
  };
  for (const Case& c : std::initializer_list<Case>{{"0", 0},
                                                   {"30", 30000},
                                                   {"1.5", 1500},
                                                   {"1500ms", 1500},
                                                   {"2s", 2000},
                                                   {"1.5s", 1500},
                                                   {".5s", 500},
                                                   {"5m", 300000},
                                                   {"1h", 3600000},
                                                   {"1d", 86400000},
                                                   {"1m30s", 90000},
                                                   {"1h0m1s5ms", 3601005},
                                                   {"0.001s", 1}}) {
    auto d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.error().message;
    EXPECT_EQ(d->count(), c.ms) << c.text;
  }
}

TEST(ConfigDuration, Rejected) {
  for (const char* bad :
       {"", "soon", "-5s", "+5s", "5 s", " 5s", "5S", "5sec", "1m30", "s", "1.s", "1..5s",
        "0.0001s", "1.5ms", "99999999999999999999s", "9999999999999999d", "5s5", "1.1234567891s"}) {
    auto d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << "'" << bad << "' gave " << d->count() << "ms";
    if (!d.ok()) {
      EXPECT_EQ(d.error().message.rfind("invalid duration '", 0), 0u) << d.error().message;
    }
  }
}

TEST(ConfigBool, AcceptedAndRejected) {
  for (const char* t : {"true", "TRUE", "yes", "On", "1"}) {
    EXPECT_EQ(ParseBool(t).value_or(false), true) << t;
  }
  for (const char* f : {"false", "No", "OFF", "0"}) {
    EXPECT_EQ(ParseBool(f).value_or(true), false) << f;
  }
  for (const char* bad : {"", "2", "y", "enabled", " true"}) {
    EXPECT_FALSE(ParseBool(bad).ok()) << bad;
  }
}

TEST(ConfigDescribe, ListsEveryKeyWithDefault) {
  std::string d = DescribeSchema(HostSchema());
  EXPECT_NE(d.find("# host_id (string, required): name of this host in reports\n"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("#interval = 30s\n"), std::string::npos) << d;
  EXPECT_NE(d.find("# proxy (IP address, may repeat)"), std::string::npos) << d;
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-config-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(ConfigFile, ParsesAndNamesThePathInErrors) {
  Schema schema = HostSchema();
  std::string good = Write("good.conf", "host_id = esx01\n");
  auto c = ParseFile(good, schema);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source(), good);
  std::string bad = Write("bad.conf", "host_id = esx01\nport = x\n");
  auto b = ParseFile(bad, schema);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message,
            bad + " line 2: key 'port': expected an integer from 1 to 65535, got 'x'");
}

TEST_F(ConfigFile, MissingFileIsAPreciseError) {
  auto c = ParseFile(dir_ + "/absent.conf", HostSchema());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(c.error().message, "config file: cannot open '" + dir_ +
                                   "/absent.conf': No such file or directory (ENOENT)");
}

TEST_F(ConfigFile, DirectoryIsAPreciseError) {
  auto c = ParseFile(dir_, HostSchema());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("(EISDIR)"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace bnfc::config
