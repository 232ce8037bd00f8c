// taskqueuectl's usage errors, help, environment and the state-directory
// failures: each gives a clear message and the right exit status, and
// nothing stored is lost or changed.

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "integration/cli_test_util.h"

namespace taskqueue::testing {
namespace {

using ::testing::HasSubstr;

class CliErrorsTest : public CliTest {};

const char* const kVerbs[] = {"queue",
                              "unqueue",
                              "schedule",
                              "unschedule",
                              "list",
                              "find",
                              "plugins",
                              "commands",
                              "status",
                              "info",
                              "pause",
                              "resume",
                              "process",
                              "flush_scheduled_tasks",
                              "delete_unprocessed_tasks",
                              "set",
                              "wait",
                              "log",
                              "retry",
                              "progress",
                              "log-line",
                              "events",
                              "search"};

TEST_F(CliErrorsTest, HelpForTheProgramAndEveryVerb) {
  auto r = CtlRaw({"--help"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  for (const char* verb : kVerbs) EXPECT_THAT(r.out, HasSubstr(verb));
  EXPECT_THAT(r.out, HasSubstr("--state-dir"));
  for (const char* verb : kVerbs) {
    r = CtlRaw({verb, "--help"});
    EXPECT_EQ(r.exit_code, 0) << verb << ": " << Describe(r);
    EXPECT_THAT(r.out, HasSubstr(verb));
  }
  r = CtlRaw({"queue", "--help"});
  EXPECT_THAT(r.out, HasSubstr("--priority"));
  r = CtlRaw({"help", "schedule"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("after"));
  EXPECT_EQ(CtlRaw({"help", "nonsense"}).exit_code, 2);
  r = CtlRaw({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::ContainsRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}

TEST_F(CliErrorsTest, UsageErrorsExit2) {
  auto r = Ctl({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("Unknown verb 'frobnicate'"));
  r = Ctl({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("Usage"));
  r = Ctl({"list", "--no-such-option"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--no-such-option"));
  r = Ctl({"queue", "--priority"});
  EXPECT_EQ(r.exit_code, 2);
  r = Ctl({"--json", "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  auto err = JsonError(r);
  EXPECT_EQ(err["error"]["code"], "usage");
  EXPECT_THAT(err["error"]["message"].get<std::string>(), HasSubstr("frobnicate"));
  EXPECT_EQ(r.out, "");
  // A malformed option value is a usage error too, and says what it wants.
  for (const char* bad : {"abc", "-5", "", "10ms"}) {
    r = Ctl({"--busy-timeout", bad, "status"});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("--busy-timeout: expected a whole number of at least 0, got '" +
                                 std::string(bad) + "'"));
  }
}

TEST_F(CliErrorsTest, GlobalOptionsWorkAfterTheVerb) {
  auto r = CtlRaw({"queue", "noop", "--state-dir", state_dir().string(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["result"], "queued");
}

TEST_F(CliErrorsTest, EnvironmentChoosesStateDirAndName) {
  RunOptions options = Options();
  options.env["TASKQUEUE_STATE_DIR"] = state_dir().string();
  options.env["TASKQUEUE_NAME"] = "other";
  auto r = CtlRaw({"queue", "noop"}, options);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(std::filesystem::exists(state_dir() / "other_queue.db"));
  EXPECT_FALSE(std::filesystem::exists(state_dir() / "tasks_queue.db"));
  // --name wins over the environment.
  r = CtlRaw({"--name", "third", "queue", "noop"}, options);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(state_dir() / "third_queue.db"));
  options.env.erase("TASKQUEUE_NAME");
  options.unset.push_back("HOME");
  options.env["XDG_STATE_HOME"] = (tmp() / "xdg").string();
  options.env.erase("TASKQUEUE_STATE_DIR");
  r = CtlRaw({"queue", "noop"}, options);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(std::filesystem::exists(tmp() / "xdg" / "taskqueue" / "tasks_queue.db"));
  r = Ctl({"--name", "bad/name", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad/name"));
  EXPECT_EQ(Ctl({"--name", "", "list"}).exit_code, 1);
}

TEST_F(CliErrorsTest, AStateDirThatIsAFile) {
  const auto file = tmp() / "not-a-dir";
  std::ofstream(file) << "x";
  auto r = CtlRaw({"--state-dir", file.string(), "queue", "noop"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(file.string()));
  EXPECT_THAT(r.err, HasSubstr("not a directory"));
  r = CtlRaw({"--json", "--state-dir", file.string(), "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(JsonError(r)["error"]["code"], "io_error");
}

TEST_F(CliErrorsTest, AReadOnlyStateDir) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  ASSERT_EQ(Ctl({"queue", "noop kept"}).exit_code, 0);
  const std::string before = Snapshot();
  chmod(state_dir().c_str(), 0500);
  auto r = Ctl({"queue", "noop new"});
  chmod(state_dir().c_str(), 0700);
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(state_dir().string()));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CliErrorsTest, ACorruptStateFileIsNamedAndKeptUnlessRecovering) {
  std::filesystem::create_directories(state_dir());
  const auto file = state_dir() / "tasks_queue.db";
  const std::string garbage(8192, 'G');
  std::ofstream(file) << garbage;
  auto r = Ctl({"queue", "noop"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(file.string()));
  EXPECT_THAT(r.err, HasSubstr("--recover"));
  std::ifstream in(file);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, garbage) << "the file must not be touched";
  r = Ctl({"--recover", "queue", "noop"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(std::filesystem::exists(state_dir() / "tasks_queue.db.broken"));
  // It says what it did.
  EXPECT_THAT(r.err, HasSubstr("warning: " + file.string() + " was damaged: moved aside to " +
                               file.string() + ".broken"));
}

TEST_F(CliErrorsTest, ALockedQueueExits75) {
  ASSERT_EQ(Ctl({"queue", "noop kept"}).exit_code, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((state_dir() / "tasks_queue.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = Ctl({"--busy-timeout", "50", "queue", "noop new"});
  EXPECT_EQ(r.exit_code, 75) << Describe(r);
  r = Ctl({"--json", "--busy-timeout", "50", "queue", "noop new"});
  EXPECT_EQ(r.exit_code, 75) << Describe(r);
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(CtlJson({"list"}).size(), 1u);
}

TEST_F(CliErrorsTest, NoColourOffATerminal) {
  CtlJson({"queue", "noop"});
  RunOptions options = Options();
  options.env["TERM"] = "xterm-256color";
  auto r = Ctl({"list"}, options);
  EXPECT_EQ(r.out.find('\033'), std::string::npos);
}

}  // namespace
}  // namespace taskqueue::testing
