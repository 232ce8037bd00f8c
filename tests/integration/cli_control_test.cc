// taskqueuectl pause, resume, set, process, retry, wait, progress and
// log-line, with real child processes run by `process` in the foreground.

#include <fcntl.h>
#include <unistd.h>

#include "integration/cli_test_util.h"

namespace taskqueue::testing {
namespace {

using ::testing::HasSubstr;

class CliControlTest : public CliTest {
 protected:
  // Queues one command and returns its id.
  std::string QueueOne(const std::string& command) {
    auto j = CtlJson({"queue", command});
    EXPECT_EQ(j[0]["result"], "queued") << j.dump();
    return j[0]["id"].is_string() ? j[0]["id"].get<std::string>() : "";
  }

  // Runs `process waiting` once (the task runs in the foreground).
  void ProcessOne(RunOptions options) {
    auto r = Ctl({"process", "waiting"}, options);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  void ProcessOne() { ProcessOne(Options()); }

  // Holds the daemon lock as taskqueued would, so `wait` believes a daemon
  // runs. Released when the returned descriptor is closed.
  int HoldDaemonLock() {
    std::filesystem::create_directories(state_dir());
    int fd = open((state_dir() / "tasks.daemon.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    EXPECT_EQ(fcntl(fd, F_SETLK, &fl), 0);
    return fd;
  }
};

TEST_F(CliControlTest, PauseAndResume) {
  auto r = Ctl({"pause"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(CtlJson({"status"})["paused"], true);
  const std::string id = QueueOne("noop");
  r = Ctl({"process", "verbose"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("paused"));
  EXPECT_EQ(CtlJson({"find", "task", id})[0]["state"], "waiting");
  EXPECT_EQ(CtlJson({"resume"})["paused"], false);
  EXPECT_EQ(CtlJson({"status"})["paused"], false);
  EXPECT_EQ(Ctl({"pause", "now"}).exit_code, 2);
}

TEST_F(CliControlTest, SetChangesStoredSettingsAndRefusesBadValues) {
  auto r = Ctl({"set", "max_running", "4"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "max_running = 4\n");
  EXPECT_EQ(CtlJson({"set", "default_timeout", "90"})["value"], 90);
  const std::string before = Snapshot();
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"max_running", "0"},
                                                        {"max_running", "-2"},
                                                        {"max_running", "many"},
                                                        {"no_such_setting", "1"}}) {
    r = Ctl({"set", key, value});
    EXPECT_EQ(r.exit_code, 1) << key << "=" << value << ": " << Describe(r);
    EXPECT_THAT(r.err, HasSubstr(key == "no_such_setting" ? key : value));
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(CtlJson({"info"})["max_running"], 4);
  EXPECT_EQ(Ctl({"set", "max_running"}).exit_code, 2);
}

TEST_F(CliControlTest, ProcessPromotesDueTasksThenRunsOne) {
  CtlJson({"schedule", "noop due"});
  const std::string waiting = QueueOne("noop waiting");
  auto r = Ctl({"process", "verbose", "scheduled"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("1 scheduled task queued"));
  auto status = CtlJson({"status"});
  EXPECT_EQ(status["counts"]["waiting"], 2);
  EXPECT_EQ(status["counts"]["complete"], 0);

  auto j = CtlJson({"process", "waiting"});
  EXPECT_EQ(j["promoted"], 0);
  EXPECT_EQ(j["task"]["id"], waiting);
  EXPECT_EQ(j["task"]["state"], "complete");
  r = Ctl({"process"});
  EXPECT_THAT(r.out, HasSubstr("complete"));
  EXPECT_EQ(CtlJson({"status"})["counts"]["complete"], 2);
  r = Ctl({"process", "verbose"});
  EXPECT_THAT(r.out, HasSubstr("No task ready"));
  EXPECT_EQ(Ctl({"process", "everything"}).exit_code, 2);
}

TEST_F(CliControlTest, WaitReportsTheTasksExitStatus) {
  WriteShellPlugin("exitwith", "exit \"$1\"");
  WriteShellPlugin("killself", "kill -TERM $$");
  const std::string ok = QueueOne("noop");
  const std::string three = QueueOne("exitwith 3");
  const std::string killed = QueueOne("killself");
  for (int i = 0; i < 3; ++i) ProcessOne();

  auto r = Ctl({"wait", ok});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr(ok + " complete"));
  r = Ctl({"wait", three});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("exit status 3"));
  r = Ctl({"wait", killed});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << Describe(r);
  // Several ids: the first one that failed decides.
  EXPECT_EQ(Ctl({"wait", ok, three, killed}).exit_code, 3);
  auto j = CtlJson({"wait", ok, three}, 3);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["exit_status"], 3);
  EXPECT_EQ(j[1]["state"], "failed");
}

TEST_F(CliControlTest, WaitWithoutADaemonExits69) {
  const std::string id = QueueOne("noop");
  auto r = Ctl({"wait", id});
  EXPECT_EQ(r.exit_code, 69) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("no taskqueued"));
  r = Ctl({"--json", "wait", id});
  EXPECT_EQ(r.exit_code, 69);
  EXPECT_EQ(JsonError(r)["error"]["code"], "unavailable");
  EXPECT_EQ(Ctl({"wait", "31337"}).exit_code, 1);
  EXPECT_EQ(Ctl({"wait", "not-an-id"}).exit_code, 2);
  EXPECT_EQ(Ctl({"wait"}).exit_code, 2);
}

TEST_F(CliControlTest, WaitBlocksUntilTheTaskFinishes) {
  WriteShellPlugin("exitwith", "exit \"$1\"");
  const std::string id = QueueOne("exitwith 7");
  int lock_fd = HoldDaemonLock();
  BackgroundProcess waiter;
  ASSERT_TRUE(waiter.Start({TASKQUEUECTL_PATH, "--state-dir", state_dir().string(), "wait", id},
                           Options()));
  // Still waiting while the task has not run.
  EXPECT_FALSE(waiter.ReadUntil([](const std::string& out) { return !out.empty(); },
                                std::chrono::milliseconds(300)));
  ProcessOne();
  const auto& result = waiter.Wait(std::chrono::seconds(20));
  EXPECT_EQ(result.exit_code, 7) << Describe(result);
  close(lock_fd);
}

TEST_F(CliControlTest, WaitGivesUpWhenTheDaemonGoesAway) {
  const std::string id = QueueOne("noop");
  int lock_fd = HoldDaemonLock();
  BackgroundProcess waiter;
  ASSERT_TRUE(waiter.Start({TASKQUEUECTL_PATH, "--state-dir", state_dir().string(), "wait", id},
                           Options()));
  EXPECT_FALSE(waiter.ReadUntil([](const std::string& out) { return !out.empty(); },
                                std::chrono::milliseconds(300)));
  close(lock_fd);
  const auto& result = waiter.Wait(std::chrono::seconds(20));
  EXPECT_EQ(result.exit_code, 69) << Describe(result);
}

TEST_F(CliControlTest, RetryRunsAFailedTaskAgain) {
  WriteShellPlugin("exitwith", "exit \"$1\"");
  const std::string id = QueueOne("exitwith 1");
  ProcessOne();
  EXPECT_EQ(CtlJson({"find", "task", id})[0]["state"], "failed");
  auto r = Ctl({"retry", id});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr(id));
  auto t = CtlJson({"find", "task", id})[0];
  EXPECT_EQ(t["state"], "waiting");
  EXPECT_EQ(t["attempts_made"], 0);
  ProcessOne();
  t = CtlJson({"find", "task", id})[0];
  EXPECT_EQ(t["state"], "failed");
  EXPECT_EQ(t["attempts_made"], 1);
  r = Ctl({"retry", "9999"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("9999"));
  EXPECT_EQ(Ctl({"retry", "x"}).exit_code, 2);
}

TEST_F(CliControlTest, RetryRefusesATaskThatDidNotFail) {
  // Scheduled and never run: it keeps its time.
  auto scheduled = CtlJson({"schedule", "at", "2099-01-01T00:00Z", "noop later"});
  const std::string later = scheduled[0]["id"];
  const auto run_at = CtlJson({"find", "task", later})[0]["run_at"];
  auto r = Ctl({"retry", later});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("has not run yet"));
  EXPECT_EQ(CtlJson({"find", "task", later})[0]["run_at"], run_at);
  // Waiting to run.
  const std::string waiting = QueueOne("noop soon");
  r = Ctl({"retry", waiting});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("is waiting, not finished"));
}

TEST_F(CliControlTest, RetryOfARetryWaitingInTheSchedulerKeepsItsId) {
  WriteShellPlugin("exitwith", "exit \"$1\"");
  auto queued = CtlJson({"queue", "--attempts", "3", "--backoff", "fixed:3600", "exitwith 1"});
  const std::string id = queued[0]["id"];
  ProcessOne();  // fails; the next attempt waits an hour in the scheduler
  auto t = CtlJson({"find", "task", id})[0];
  EXPECT_EQ(t["state"], "scheduled");
  EXPECT_EQ(t["id"], id);
  auto r = CtlJson({"retry", id});
  EXPECT_EQ(r["ids"], nlohmann::json::array({id}));  // as every other verb shows it
  EXPECT_LE(CtlJson({"find", "task", id})[0]["run_at"].get<int64_t>(),
            t["run_at"].get<int64_t>() - 3000);
}

TEST_F(CliControlTest, ProgressAndLogLineFromInsideARunningTask) {
  WriteShellPlugin("work",
                   "\"$TQCTL\" progress 5 10 halfway there && \"$TQCTL\" log-line hello from "
                   "the child && echo output-line");
  const std::string id = QueueOne("work");
  RunOptions options = Options();
  options.env["TQCTL"] = TASKQUEUECTL_PATH;
  ProcessOne(options);

  auto t = CtlJson({"find", "task", id})[0];
  EXPECT_EQ(t["state"], "complete") << t.dump();
  EXPECT_EQ(t["progress"], 50);
  EXPECT_EQ(t["progress_data"], "halfway there");
  ASSERT_EQ(t["logs"].size(), 1u);
  EXPECT_EQ(t["logs"][0]["line"], "hello from the child");

  auto r = Ctl({"list", "verbose", "complete"});
  EXPECT_THAT(r.out, HasSubstr("50% halfway there"));
  EXPECT_THAT(r.out, HasSubstr("hello from the child"));
  r = Ctl({"log", id});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("hello from the child"));
  EXPECT_THAT(r.out, HasSubstr("output-line"));
  auto j = CtlJson({"log", id});
  EXPECT_EQ(j["logs"][0]["line"], "hello from the child");
  EXPECT_THAT(j["output"].get<std::string>(), HasSubstr("output-line"));
}

TEST_F(CliControlTest, ProgressAndLogLineNeedATask) {
  auto r = Ctl({"progress", "1", "2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("TASKQUEUE_TASK_ID"));
  EXPECT_EQ(Ctl({"log-line", "x"}).exit_code, 2);
  RunOptions options = Options();
  options.env["TASKQUEUE_TASK_ID"] = "TQ:TaskQueue:4040";
  EXPECT_EQ(Ctl({"log-line", "x"}, options).exit_code, 1);
  EXPECT_EQ(Ctl({"progress", "a", "2"}, options).exit_code, 2);
  EXPECT_EQ(Ctl({"progress", "1"}, options).exit_code, 2);
  EXPECT_EQ(Ctl({"log-line"}, options).exit_code, 2);
  options.env["TASKQUEUE_TASK_ID"] = "garbage";
  EXPECT_EQ(Ctl({"progress", "1", "2"}, options).exit_code, 2);
  // The state dir and name come from the environment the daemon sets.
  const std::string id = QueueOne("noop");
  options.env["TASKQUEUE_TASK_ID"] = id;
  options.env["TASKQUEUE_STATE_DIR"] = state_dir().string();
  r = CtlRaw({"log-line", "from", "env"}, options);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(CtlJson({"find", "task", id})[0]["logs"][0]["line"], "from env");
}

}  // namespace
}  // namespace taskqueue::testing
