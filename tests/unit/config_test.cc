// Tests for taskqueued.conf parsing (taskqueued/config.h): the format, every
// key, every error, the default path, flag precedence and the shipped file.
#include "taskqueued/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "fakes/test_util.h"
#include "taskqueue/options.h"
#include "taskqueue_paths.h"

namespace taskqueue::daemon {
namespace {

using ::taskqueue::testing::ScopedEnv;
using ::taskqueue::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The error message ParseConfig gives for `text`; fails the test when the
// text parses.
std::string ParseError(const std::string& text) {
  Result<DaemonConfig> r = ParseConfig(text, "t.conf");
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  if (r.ok()) return "";
  EXPECT_TRUE(r.status().IsConfig()) << r.status().ToString();
  return r.status().message();
}

TEST(ParseConfigTest, EmptyTextCommentsAndBlankLinesGiveAnEmptyConfig) {
  ASSERT_TQ_OK(ParseConfig("", "t.conf"));
  Result<DaemonConfig> r = ParseConfig("# a comment\n\n   \t\n  # indented comment\r\n", "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(*r, DaemonConfig{});
}

TEST(ParseConfigTest, ParsesEveryKey) {
  Result<DaemonConfig> r = ParseConfig(
      "state_dir /var/lib/taskqueue\n"
      "name jobs-1.a_b\n"
      "http 127.0.0.1:8080\n"
      "http_token_file /etc/taskqueue/token\n"
      "http_read_only_token_file /etc/taskqueue/ro-token\n"
      "durability normal\n"
      "log_level debug\n"
      "plugin_dir /opt/plugins\n"
      "max_running 4\n"
      "default_timeout 61\n"
      "max_timeout 301\n"
      "default_child_timeout 3601\n"
      "keep_finished_seconds 86400\n"
      "keep_complete_count 100\n"
      "keep_failed_count 50\n"
      "keep_events_seconds 3600\n"
      "max_output_bytes 4096\n"
      "shutdown_grace_seconds 15\n",
      "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->state_dir, "/var/lib/taskqueue");
  EXPECT_EQ(r->name, "jobs-1.a_b");
  EXPECT_EQ(r->http, "127.0.0.1:8080");
  EXPECT_EQ(r->http_token_file, "/etc/taskqueue/token");
  EXPECT_EQ(r->http_read_only_token_file, "/etc/taskqueue/ro-token");
  EXPECT_EQ(r->durability, "normal");
  EXPECT_EQ(r->log_level, "debug");
  EXPECT_THAT(r->plugin_dirs, ElementsAre("/opt/plugins"));
  EXPECT_EQ(r->max_running, 4);
  EXPECT_EQ(r->default_timeout, 61);
  EXPECT_EQ(r->max_timeout, 301);
  EXPECT_EQ(r->default_child_timeout, 3601);
  EXPECT_EQ(r->keep_finished_seconds, 86400);
  EXPECT_EQ(r->keep_complete_count, 100);
  EXPECT_EQ(r->keep_failed_count, 50);
  EXPECT_EQ(r->keep_events_seconds, 3600);
  EXPECT_EQ(r->max_output_bytes, 4096);
  EXPECT_EQ(r->shutdown_grace_seconds, 15);
}

TEST(ParseConfigTest, UnsetKeysStayUnset) {
  Result<DaemonConfig> r = ParseConfig("max_running 3\n", "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->max_running, 3);
  EXPECT_FALSE(r->state_dir.has_value());
  EXPECT_FALSE(r->default_timeout.has_value());
  EXPECT_TRUE(r->plugin_dirs.empty());
}

TEST(ParseConfigTest, WhitespaceTabsCrlfAndMissingFinalNewline) {
  Result<DaemonConfig> r =
      ParseConfig("  max_running\t\t7  \r\n\tstate_dir   /srv/q \r\nname last", "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->max_running, 7);
  EXPECT_EQ(r->state_dir, "/srv/q");
  EXPECT_EQ(r->name, "last");
}

TEST(ParseConfigTest, ValueKeepsInnerSpacesAndHashes) {
  Result<DaemonConfig> r =
      ParseConfig("state_dir /srv/my queue #1\nhttp_token_file \" /odd path \"\n", "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->state_dir, "/srv/my queue #1");
  EXPECT_EQ(r->http_token_file, " /odd path ");
}

TEST(ParseConfigTest, PluginDirRepeatsInOrder) {
  Result<DaemonConfig> r = ParseConfig("plugin_dir /a\nplugin_dir /b\nplugin_dir /a\n", "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_THAT(r->plugin_dirs, ElementsAre("/a", "/b", "/a"));
}

TEST(ParseConfigTest, AcceptsIpv6AndPortZeroHttp) {
  Result<DaemonConfig> r = ParseConfig("http [::1]:0\n", "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->http, "[::1]:0");
}

TEST(ParseConfigErrorTest, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(ParseError("# comment\n\nfrobnicate yes\n"), "t.conf:3: frobnicate: unknown key");
}

TEST(ParseConfigErrorTest, MisspeltKeySuggestsTheRightOne) {
  EXPECT_EQ(ParseError("max_runing 2\n"),
            "t.conf:1: max_runing: unknown key (did you mean 'max_running'?)");
  EXPECT_EQ(ParseError("plugin_dirs /x\n"),
            "t.conf:1: plugin_dirs: unknown key (did you mean 'plugin_dir'?)");
}

TEST(ParseConfigErrorTest, KeysAreCaseSensitive) {
  EXPECT_THAT(ParseError("MAX_RUNNING 2\n"), HasSubstr("t.conf:1: MAX_RUNNING: unknown key"));
}

TEST(ParseConfigErrorTest, MissingValue) {
  EXPECT_EQ(ParseError("max_running\n"), "t.conf:1: max_running: missing value");
  EXPECT_EQ(ParseError("name   \t\n"), "t.conf:1: name: missing value");
  EXPECT_EQ(ParseError("plugin_dir\n"), "t.conf:1: plugin_dir: missing value");
  EXPECT_EQ(ParseError("state_dir \"\"\n"), "t.conf:1: state_dir: missing value");
}

TEST(ParseConfigErrorTest, NonNumericNumber) {
  EXPECT_EQ(ParseError("\nmax_running four\n"),
            "t.conf:2: max_running: 'four' is not a positive whole number");
  EXPECT_EQ(ParseError("default_timeout 1.5\n"),
            "t.conf:1: default_timeout: '1.5' is not a positive whole number");
  EXPECT_EQ(ParseError("max_timeout 30s\n"),
            "t.conf:1: max_timeout: '30s' is not a positive whole number");
  EXPECT_EQ(ParseError("keep_complete_count +5\n"),
            "t.conf:1: keep_complete_count: '+5' is not a positive whole number");
}

TEST(ParseConfigErrorTest, ZeroAndNegativeNumbers) {
  EXPECT_EQ(ParseError("max_running 0\n"),
            "t.conf:1: max_running: '0' is not a positive whole number");
  EXPECT_EQ(ParseError("shutdown_grace_seconds -1\n"),
            "t.conf:1: shutdown_grace_seconds: '-1' is not a positive whole number");
}

TEST(ParseConfigErrorTest, NumberTooLarge) {
  EXPECT_EQ(ParseError("max_output_bytes 9223372036854775808\n"),
            "t.conf:1: max_output_bytes: '9223372036854775808' is too large");
  Result<DaemonConfig> r = ParseConfig("max_output_bytes 9223372036854775807\n", "t.conf");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->max_output_bytes, INT64_MAX);
}

TEST(ParseConfigErrorTest, EveryNumericKeyIsChecked) {
  for (const char* key : {"max_running", "default_timeout", "max_timeout", "default_child_timeout",
                          "keep_finished_seconds", "keep_complete_count", "keep_failed_count",
                          "keep_events_seconds", "max_output_bytes", "shutdown_grace_seconds"}) {
    EXPECT_EQ(ParseError(std::string(key) + " x\n"),
              "t.conf:1: " + std::string(key) + ": 'x' is not a positive whole number");
  }
}

TEST(ParseConfigErrorTest, BadDurability) {
  EXPECT_EQ(ParseError("durability fast\n"),
            "t.conf:1: durability: must be 'full' or 'normal', not 'fast'");
  EXPECT_THAT(ParseError("durability FULL\n"), HasSubstr("not 'FULL'"));
}

TEST(ParseConfigErrorTest, BadLogLevel) {
  EXPECT_EQ(ParseError("log_level loud\n"),
            "t.conf:1: log_level: must be one of trace, debug, info, warn, error, critical, "
            "off; not 'loud'");
}

TEST(ParseConfigErrorTest, BadQueueName) {
  EXPECT_EQ(ParseError("name my/queue\n"),
            "t.conf:1: name: 'my/queue' has '/' at position 3; a queue name may hold only "
            "letters, digits, '-', '_' and '.'");
  EXPECT_THAT(ParseError("name a b\n"), HasSubstr("t.conf:1: name: 'a b' has ' '"));
}

TEST(ParseConfigErrorTest, BadHttpAddress) {
  EXPECT_THAT(ParseError("http 8080\n"), HasSubstr("t.conf:1: http: expected ADDR:PORT"));
  EXPECT_THAT(ParseError("http :8080\n"), HasSubstr("t.conf:1: http: expected ADDR:PORT"));
  EXPECT_EQ(ParseError("http localhost:http\n"),
            "t.conf:1: http: port 'http' is not a number from 0 to 65535");
  EXPECT_EQ(ParseError("http localhost:65536\n"),
            "t.conf:1: http: port '65536' is not a number from 0 to 65535");
  EXPECT_EQ(ParseError("http 127.0.0.1:\n"),
            "t.conf:1: http: port '' is not a number from 0 to 65535");
  EXPECT_THAT(ParseError("http ::1:8080\n"), HasSubstr("an IPv6 address needs brackets"));
  EXPECT_THAT(ParseError("http [::1:8080\n"), HasSubstr("expected ADDR:PORT"));
}

TEST(ParseConfigErrorTest, DuplicateSingleValuedKey) {
  EXPECT_EQ(ParseError("max_running 2\n# x\nmax_running 3\n"),
            "t.conf:3: max_running: given twice (first on line 1); only plugin_dir may repeat");
  EXPECT_THAT(ParseError("state_dir /a\nstate_dir /a\n"),
              HasSubstr("t.conf:2: state_dir: given twice"));
}

TEST(ParseConfigErrorTest, FirstErrorWins) {
  EXPECT_EQ(ParseError("max_running 2\nbogus 1\nmax_running x\n"), "t.conf:2: bogus: unknown key");
}

TEST(LoadConfigTest, ReadsAFileAndNamesItInErrors) {
  TempDir dir;
  std::filesystem::path good = dir.path() / "good.conf";
  std::ofstream(good) << "max_running 5\nplugin_dir /p\n";
  Result<DaemonConfig> r = LoadConfig(good);
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->max_running, 5);
  EXPECT_THAT(r->plugin_dirs, ElementsAre("/p"));

  std::filesystem::path bad = dir.path() / "bad.conf";
  std::ofstream(bad) << "max_running 5\n\nmax_running 0\n";
  Result<DaemonConfig> e = LoadConfig(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsConfig());
  EXPECT_EQ(e.status().message(), bad.string() +
                                      ":3: max_running: given twice (first on line "
                                      "1); only plugin_dir may repeat");
}

TEST(LoadConfigTest, MissingFileIsNotFound) {
  TempDir dir;
  Result<DaemonConfig> r = LoadConfig(dir.path() / "absent.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("absent.conf"));
}

TEST(LoadConfigTest, DirectoryIsAConfigError) {
  TempDir dir;
  Result<DaemonConfig> r = LoadConfig(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConfig()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("is a directory"));
}

TEST(LoadConfigTest, UnreadableFileIsAnIoError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  TempDir dir;
  std::filesystem::path path = dir.path() / "secret.conf";
  std::ofstream(path) << "max_running 5\n";
  std::filesystem::permissions(path, std::filesystem::perms::none);
  Result<DaemonConfig> r = LoadConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
}

TEST(DefaultConfigPathTest, SystemModeUsesSysconfDir) {
  EXPECT_EQ(DefaultConfigPath(true),
            std::filesystem::path(TASKQUEUE_SYSCONF_DIR) / "taskqueued.conf");
}

TEST(DefaultConfigPathTest, UserModeUsesXdgConfigHome) {
  ScopedEnv xdg("XDG_CONFIG_HOME", "/home/u/cfg");
  EXPECT_EQ(DefaultConfigPath(false), "/home/u/cfg/taskqueue/taskqueued.conf");
}

TEST(DefaultConfigPathTest, UserModeFallsBackToHomeDotConfig) {
  ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
  ScopedEnv home("HOME", "/home/u");
  EXPECT_EQ(DefaultConfigPath(false), "/home/u/.config/taskqueue/taskqueued.conf");
}

TEST(DefaultConfigPathTest, RelativeXdgConfigHomeIsIgnored) {
  ScopedEnv xdg("XDG_CONFIG_HOME", "relative/cfg");
  ScopedEnv home("HOME", "/home/u");
  EXPECT_EQ(DefaultConfigPath(false), "/home/u/.config/taskqueue/taskqueued.conf");
}

TEST(DefaultConfigPathTest, NoArgumentVersionFollowsTheEffectiveUser) {
  ScopedEnv xdg("XDG_CONFIG_HOME", "/home/u/cfg");
  EXPECT_EQ(DefaultConfigPath(), DefaultConfigPath(geteuid() == 0));
}

TEST(MergeConfigTest, FlagsOverrideTheFile) {
  Result<DaemonConfig> file = ParseConfig(
      "state_dir /from/file\nname filequeue\nmax_running 2\ndefault_timeout 10\n"
      "durability normal\nplugin_dir /file/plugins\n",
      "t.conf");
  ASSERT_TQ_OK(file);
  DaemonConfig flags;
  flags.state_dir = "/from/flags";
  flags.max_running = 8;
  flags.http = "127.0.0.1:0";

  DaemonConfig merged = MergeConfig(*file, flags);
  EXPECT_EQ(merged.state_dir, "/from/flags");
  EXPECT_EQ(merged.max_running, 8);
  EXPECT_EQ(merged.http, "127.0.0.1:0");
  // What the flags leave unset comes from the file.
  EXPECT_EQ(merged.name, "filequeue");
  EXPECT_EQ(merged.default_timeout, 10);
  EXPECT_EQ(merged.durability, "normal");
  EXPECT_THAT(merged.plugin_dirs, ElementsAre("/file/plugins"));
  EXPECT_FALSE(merged.max_timeout.has_value());
}

TEST(MergeConfigTest, PluginDirFlagsReplaceTheFilesList) {
  DaemonConfig file;
  file.plugin_dirs = {"/f1", "/f2"};
  DaemonConfig flags;
  flags.plugin_dirs = {"/cli"};
  EXPECT_THAT(MergeConfig(file, flags).plugin_dirs, ElementsAre("/cli"));
  EXPECT_EQ(MergeConfig(file, DaemonConfig{}), file);
}

#ifdef TASKQUEUE_SHIPPED_CONFIG
// The shipped taskqueued.conf has every directive commented out, so it must
// parse to an empty config; with every "#key value" line uncommented it must
// still parse (the documented defaults are valid) and set every key.
TEST(ShippedConfigTest, ParsesAsShippedToAnEmptyConfig) {
  Result<DaemonConfig> r = LoadConfig(TASKQUEUE_SHIPPED_CONFIG);
  ASSERT_TQ_OK(r);
  EXPECT_EQ(*r, DaemonConfig{});
}

TEST(ShippedConfigTest, EveryCommentedDefaultIsValidAndEveryKeyIsDocumented) {
  std::ifstream in(TASKQUEUE_SHIPPED_CONFIG);
  ASSERT_TRUE(in) << TASKQUEUE_SHIPPED_CONFIG;
  std::stringstream text;
  text << in.rdbuf();
  // Directives are commented as "#key value" (no space), prose as "# text".
  std::string uncommented;
  for (std::string line; std::getline(text, line);) {
    bool directive = line.size() > 1 && line[0] == '#' && line[1] >= 'a' && line[1] <= 'z';
    uncommented += (directive ? line.substr(1) : line) + "\n";
  }
  Result<DaemonConfig> r = ParseConfig(uncommented, "uncommented taskqueued.conf");
  ASSERT_TQ_OK(r);
  EXPECT_TRUE(r->state_dir && r->name && r->http && r->http_token_file &&
              r->http_read_only_token_file && r->durability && r->log_level);
  EXPECT_EQ(r->plugin_dirs.size(), 1u);
  EXPECT_TRUE(r->max_running && r->default_timeout && r->max_timeout && r->default_child_timeout &&
              r->keep_finished_seconds && r->keep_complete_count && r->keep_failed_count &&
              r->keep_events_seconds && r->max_output_bytes && r->shutdown_grace_seconds);
  // The documented defaults are the library's.
  const QueueSettings defaults;
  EXPECT_EQ(r->max_running, defaults.max_running);
  EXPECT_EQ(r->default_timeout, defaults.default_timeout);
  EXPECT_EQ(r->max_timeout, defaults.max_timeout);
  EXPECT_EQ(r->default_child_timeout, defaults.default_child_timeout);
  EXPECT_EQ(r->keep_finished_seconds, defaults.keep_finished_seconds);
  EXPECT_EQ(r->keep_complete_count, defaults.keep_complete_count);
  EXPECT_EQ(r->keep_failed_count, defaults.keep_failed_count);
  EXPECT_EQ(r->keep_events_seconds, defaults.keep_events_seconds);
  EXPECT_EQ(r->max_output_bytes, defaults.max_output_bytes);
  EXPECT_EQ(r->durability, "full");
  EXPECT_EQ(r->name, "tasks");
  EXPECT_EQ(r->plugin_dirs[0], TASKQUEUE_DEFAULT_PLUGIN_DIR);
}
#endif

}  // namespace
}  // namespace taskqueue::daemon
