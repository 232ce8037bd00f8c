// taskqueuectl next to a real taskqueued: status names the daemon's pid and
// wait blocks until the daemon has run the task, then exits with its status.

#include <signal.h>

#include "integration/cli_test_util.h"

namespace taskqueue::testing {
namespace {

using ::testing::HasSubstr;

class CliDaemonTest : public CliTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(TASKQUEUED_PATH)) GTEST_SKIP() << "taskqueued not built";
  }
  void TearDown() override {
    if (daemon_.pid() > 0) daemon_.Stop(SIGTERM, std::chrono::seconds(30));
  }

  // Starts taskqueued on this test's queue and waits until status sees it.
  void StartDaemon() {
    ASSERT_TRUE(daemon_.Start({TASKQUEUED_PATH, "--state-dir", state_dir().string(), "--plugin-dir",
                               plugin_dir().string(), "--shutdown-grace", "5"},
                              Options()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = Ctl({"--json", "status"});
      if (r.exit_code == 0 && !nlohmann::json::parse(r.out)["daemon_pid"].is_null()) return;
      // Poll the daemon's startup with a deadline (there is no event to wait on).
      daemon_.ReadUntil([](const std::string&) { return false; }, std::chrono::milliseconds(20));
    }
    FAIL() << "taskqueued did not start: " << daemon_.result().err;
  }

  BackgroundProcess daemon_;
};

TEST_F(CliDaemonTest, StatusAndWaitWithARunningDaemon) {
  WriteShellPlugin("exitwith", "exit \"$1\"");
  StartDaemon();
  EXPECT_EQ(CtlJson({"status"})["daemon_pid"], daemon_.pid());
  EXPECT_THAT(Ctl({"status"}).out, HasSubstr("running (pid " + std::to_string(daemon_.pid())));

  auto ids = CtlJson({"queue", "exitwith 0", "exitwith 5"});
  auto r = Ctl({"wait", ids[0]["id"]});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  r = Ctl({"wait", ids[1]["id"]});
  EXPECT_EQ(r.exit_code, 5) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("failed"));

  // A scheduled task: wait follows its id from the scheduler into the queue.
  auto later = CtlJson({"schedule", "after", "1h", "exitwith 4"});
  BackgroundProcess waiter;
  ASSERT_TRUE(waiter.Start({TASKQUEUECTL_PATH, "--state-dir", state_dir().string(), "wait",
                            later[0]["id"].get<std::string>()},
                           Options()));
  EXPECT_FALSE(waiter.ReadUntil([](const std::string& out) { return !out.empty(); },
                                std::chrono::milliseconds(300)));
  EXPECT_EQ(CtlJson({"flush_scheduled_tasks"})["ids"].size(), 1u);
  const auto& result = waiter.Wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 4) << Describe(result);
}

}  // namespace
}  // namespace taskqueue::testing
