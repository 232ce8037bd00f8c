// taskqueuectl plugins and commands, and what a plugin that fails to load
// does to queue (SPEC §4.2): exit 78 naming the file, other commands still
// work, a command defined nowhere stays exit 1.

#include "integration/cli_test_util.h"

namespace taskqueue::testing {
namespace {

using ::testing::HasSubstr;

class CliPluginsTest : public CliTest {
 protected:
  void WriteBrokenPlugin() {
    WritePlugin(
        "broken.json",
        R"({"processors": [{"command": "brk", "exec": ["/bin/true"], "no_such_field": 1}]})");
  }
};

TEST_F(CliPluginsTest, PluginsAndCommandsListWhatLoaded) {
  WriteShellPlugin("hello", "echo hi");
  auto r = Ctl({"plugins"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("hello.json"));
  r = Ctl({"plugins", "verbose"});
  EXPECT_THAT(r.out, HasSubstr("  hello\n"));
  EXPECT_THAT(r.out, HasSubstr(plugin_dir().string()));
  auto j = CtlJson({"plugins"});
  ASSERT_EQ(j["plugins"].size(), 1u);
  EXPECT_EQ(j["plugins"][0]["commands"], nlohmann::json::array({"hello"}));
  EXPECT_EQ(j["failed"].size(), 0u);

  auto commands = CtlJson({"commands"});
  std::vector<std::string> names;
  for (const auto& c : commands) names.push_back(c["command"]);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("hello", "noop"));
  commands = CtlJson({"commands", "hello"});
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0]["command"], "hello");
  r = Ctl({"commands", "nosuchmodule"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Ctl({"plugins", "loud"}).exit_code, 2);
  EXPECT_EQ(Ctl({"queue", "hello world"}).exit_code, 0);
}

TEST_F(CliPluginsTest, AFailedPluginExits78AndNamesTheFile) {
  WriteShellPlugin("hello", "echo hi");
  WriteBrokenPlugin();
  auto r = Ctl({"plugins"});
  EXPECT_EQ(r.exit_code, 78) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("broken.json"));
  EXPECT_THAT(r.err, HasSubstr("no_such_field"));
  auto j = CtlJson({"plugins"}, 78);
  ASSERT_EQ(j["failed"].size(), 1u);
  EXPECT_THAT(j["failed"][0]["file"].get<std::string>(), HasSubstr("broken.json"));

  const std::string before = Snapshot();
  r = Ctl({"queue", "brk now"});
  EXPECT_EQ(r.exit_code, 78) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("broken.json"));
  EXPECT_EQ(Snapshot(), before);
  r = Ctl({"--json", "queue", "brk now"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["error"]["code"], "config");

  // Other commands still queue (with a warning about the broken file).
  r = Ctl({"queue", "hello there"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("broken.json"));
  r = Ctl({"queue", "nowhere"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("No known processor for 'nowhere'."));
}

// The same when the file is not valid JSON at all (a trailing comma): its
// commands are read from its text, to name it.
TEST_F(CliPluginsTest, APluginThatIsNotValidJsonStillNamesItsCommands) {
  WritePlugin("comma.json", R"({"processors": [{"command": "brk", "exec": ["/bin/true"]},]})");
  const std::string before = Snapshot();
  auto r = Ctl({"queue", "brk now"});
  EXPECT_EQ(r.exit_code, 78) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("comma.json"));
  EXPECT_THAT(r.err, HasSubstr("not valid JSON"));
  EXPECT_EQ(Snapshot(), before);
  r = Ctl({"queue", "nowhere"});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(CliPluginsTest, AMissingPluginDirIsAConfigError) {
  auto r = Ctl({"--plugin-dir", (tmp() / "nope").string(), "plugins"});
  EXPECT_EQ(r.exit_code, 78) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("nope"));
}

TEST_F(CliPluginsTest, PluginPathFromTheEnvironment) {
  WriteShellPlugin("fromenv", "true");
  RunOptions options = Options();
  options.env["TASKQUEUE_PLUGIN_PATH"] = "/nonexistent/dir::" + plugin_dir().string();
  auto r = CtlRaw({"--state-dir", state_dir().string(), "queue", "fromenv"}, options);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  // Without it the command is unknown.
  r = CtlRaw({"--state-dir", state_dir().string(), "queue", "fromenv x"});
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace taskqueue::testing
