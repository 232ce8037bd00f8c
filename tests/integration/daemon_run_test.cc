// taskqueued runs tasks: each exactly once, never more than max_running at
// once, never two holding the same deferral tag at once; retries of a
// failing child; timeouts that stop a child and its grandchildren; prompt
// starts of queued and scheduled tasks.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>
#include <sstream>

#include "integration/daemon_test_util.h"

namespace taskqueue::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int CountLines(const std::filesystem::path& file, const std::string& prefix) {
  std::ifstream in(file);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

void StopDaemon(DaemonProcess& daemon) {
  daemon.Signal(SIGTERM);
  auto status = daemon.WaitExit(seconds(20));
  ASSERT_TRUE(status.has_value()) << daemon.Log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << daemon.Log();
}

TEST(DaemonRunTest, ChildTasksRunExactlyOnceWithinMaxRunning) {
  DaemonFixture f;
  const std::string work =
      RecordCommand(f.records(), "start") + "; sleep 0.0$1; " + RecordCommand(f.records(), "end");
  f.plugins().Write("work", {ShellProcessor("work", work)});
  auto daemon = f.StartDaemon({"--max-running", "3"});
  ASSERT_TRUE(daemon);
  constexpr int kTasks = 40;
  std::set<std::string> uuids;
  for (int i = 0; i < kTasks; ++i) {
    // Distinct args: identical pending tasks would be dupes.
    int64_t id = f.Enqueue("work " + std::to_string(10 + i * 2));
    uuids.insert("TQ:TaskQueue:" + std::to_string(id));
  }
  ASSERT_TRUE(WaitUntil([&] { return f.AllFinished(); }, seconds(60))) << daemon->Log();
  StopDaemon(*daemon);

  auto counts = f.queue().Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, kTasks);
  auto records = ReadRecords(f.records());
  std::map<std::string, int> starts, ends;
  for (const auto& r : records) (r.event == "start" ? starts : ends)[r.task]++;
  EXPECT_EQ(starts.size(), uuids.size());
  for (const auto& uuid : uuids) {
    EXPECT_EQ(starts[uuid], 1) << uuid;
    EXPECT_EQ(ends[uuid], 1) << uuid;
  }
  const int overlap = MaxOverlap(records, WallNanos());
  EXPECT_LE(overlap, 3);
  EXPECT_GE(overlap, 2) << "tasks never ran side by side: is max_running honoured at all?";
}

TEST(DaemonRunTest, TasksSharingADeferralTagNeverOverlap) {
  DaemonFixture f;
  const std::string work =
      RecordCommand(f.records(), "start") + "; sleep 0.05; " + RecordCommand(f.records(), "end");
  f.plugins().Write("tagged", {ShellProcessor("tagged", work, {{"deferral_tags", {"res:{0}"}}})});
  auto daemon = f.StartDaemon({"--max-running", "4"});
  ASSERT_TRUE(daemon);
  // Two resources, six tasks each: at most one per resource at a time, so
  // at most two at once although max_running is 4.
  std::map<std::string, std::string> resource_of;
  for (int i = 0; i < 12; ++i) {
    std::string res = i % 2 == 0 ? "a" : "b";
    int64_t id = f.Enqueue("tagged " + res + " " + std::to_string(i));
    resource_of["TQ:TaskQueue:" + std::to_string(id)] = res;
  }
  ASSERT_TRUE(WaitUntil([&] { return f.AllFinished(); }, seconds(60))) << daemon->Log();
  StopDaemon(*daemon);
  auto counts = f.queue().Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 12);
  auto records = ReadRecords(f.records());
  EXPECT_EQ(records.size(), 24u);
  std::string worst;
  EXPECT_EQ(
      MaxOverlap(
          records, WallNanos(), [&](const std::string& task) { return resource_of[task]; }, &worst),
      1)
      << "two tasks of resource '" << worst << "' ran at once";
  EXPECT_EQ(MaxOverlap(records, WallNanos()), 2) << "the two resources should run side by side";
}

TEST(DaemonRunTest, ChildExitingThreeWithTwoAttemptsRunsTwiceThenFails) {
  DaemonFixture f;
  f.plugins().Write("fail",
                    {ShellProcessor("fail3", RecordCommand(f.records(), "start") + "; exit 3",
                                    {{"attempts", 2}, {"backoff", "fixed:1"}})});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("fail3");
  ASSERT_TRUE(f.WaitForState(id, TaskState::kFailed)) << daemon->Log();
  auto t = f.Find(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->exit_status, 3);
  EXPECT_EQ(t->attempts_made, 2);
  EXPECT_EQ(CountLines(f.records(), "start"), 2);
  StopDaemon(*daemon);
  // Nothing ran a third time.
  EXPECT_EQ(CountLines(f.records(), "start"), 2);
}

TEST(DaemonRunTest, TimeoutKillsChildAndGrandchildThenRetriesThenFails) {
  DaemonFixture f;
  // The child and its grandchild both ignore SIGTERM, so only the SIGKILL
  // that follows the grace period can end them.
  const auto pids = f.root() / "pids";
  const std::string script = "trap '' TERM; sleep 300 & echo $! >> " + pids.string() +
                             "; echo $$ >> " + pids.string() + "; wait";
  f.plugins().Write(
      "slow",
      {ShellProcessor("slow", script, {{"timeout", 1}, {"attempts", 2}, {"reschedule_delay", 1}})});
  auto daemon = f.StartDaemon({"--kill-grace", "1"});
  ASSERT_TRUE(daemon);
  const int64_t start = MonoMillis();
  const int64_t id = f.Enqueue("slow");
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto t = f.Find(id);
        return t && t->state == TaskState::kFailed;
      },
      seconds(30)))
      << daemon->Log();
  const int64_t took = MonoMillis() - start;
  auto t = f.Find(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->attempts_made, 2);
  EXPECT_NE(t->error.find("timed out"), std::string::npos) << t->error;
  EXPECT_EQ(t->term_signal, SIGKILL);
  // Two runs of 1 s + 1 s grace, 1 s apart.
  EXPECT_GE(took, 4000);
  std::ifstream in(pids);
  std::vector<pid_t> all;
  for (pid_t p; in >> p;) all.push_back(p);
  ASSERT_EQ(all.size(), 4u) << "child and grandchild pids of both attempts";
  for (pid_t p : all) EXPECT_TRUE(ProcessGone(p)) << "pid " << p << " survived its timeout";
  StopDaemon(*daemon);
}

// A child that keeps running gets its pid, start time and boot id into the
// database (status and list show it); until then a journal note stands in
// for it, so that short children cost no commit of their own.
TEST(DaemonRunTest, ARunningChildsPidIsOnRecord) {
  DaemonFixture f;
  const auto pids = f.root() / "pids";
  const auto go = f.root() / "go";
  f.plugins().Write("hold",
                    {ShellProcessor("hold", "echo $$ >> " + pids.string() + "; while [ ! -e " +
                                                go.string() + " ]; do sleep 0.02; done")});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("hold");
  ASSERT_TRUE(WaitUntil([&] {
    auto t = f.Find(id);
    return t && t->state == TaskState::kProcessing && t->pid > 0;
  })) << daemon->Log();
  pid_t child = 0;
  std::ifstream(pids) >> child;
  auto t = f.Find(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->pid, child);
  EXPECT_GT(t->pid_start_time, 0);
  EXPECT_FALSE(t->boot_id.empty());
  std::ofstream(go) << "";
  ASSERT_TRUE(f.WaitForState(id, TaskState::kComplete)) << daemon->Log();
  StopDaemon(*daemon);
}

TEST(DaemonRunTest, MaxRunningRaisedByAnotherProcessStartsMoreTasks) {
  DaemonFixture f;
  const auto go = f.root() / "go";
  f.plugins().Write(
      "hold", {ShellProcessor("hold", "while [ ! -e " + go.string() + " ]; do sleep 0.02; done")});
  auto daemon = f.StartDaemon({"--max-running", "1"});
  ASSERT_TRUE(daemon);
  const int64_t first = f.Enqueue("hold 1");
  ASSERT_TRUE(f.WaitForState(first, TaskState::kProcessing)) << daemon->Log();
  // Every slot is busy: the daemon's own commits and this enqueue wake it,
  // and it must still notice when max_running grows.
  const int64_t second = f.Enqueue("hold 2");
  ASSERT_TQ_OK(f.queue().SetSetting("max_running", "2"));
  ASSERT_TRUE(f.WaitForState(second, TaskState::kProcessing, seconds(10))) << daemon->Log();
  std::ofstream(go) << "";
  ASSERT_TRUE(f.WaitForState(first, TaskState::kComplete)) << daemon->Log();
  ASSERT_TRUE(f.WaitForState(second, TaskState::kComplete)) << daemon->Log();
  StopDaemon(*daemon);
}

TEST(DaemonRunTest, QueuedTaskStartsPromptly) {
  DaemonFixture f;
  f.plugins().Write("rec", {ShellProcessor("rec", RecordCommand(f.records(), "start"))});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  for (int i = 0; i < 5; ++i) {
    const int64_t queued = WallNanos();
    f.Enqueue("rec " + std::to_string(i));
    ASSERT_TRUE(WaitUntil([&] { return ReadRecords(f.records()).size() == size_t(i + 1); }))
        << daemon->Log();
    const int64_t started = ReadRecords(f.records()).back().nanos;
    // The benchmark measures this properly (milliseconds); here it only must
    // not wait for a poll.
    EXPECT_LT(started - queued, 1'000'000'000) << "task " << i << " started late";
  }
  StopDaemon(*daemon);
}

TEST(DaemonRunTest, ScheduledTaskStartsWhenDue) {
  DaemonFixture f;
  f.plugins().Write("rec", {ShellProcessor("rec", RecordCommand(f.records(), "start"))});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  auto scheduler = Scheduler::ForQueue(f.queue());
  const int64_t due_ms = WallNanos() / 1000000 + 1500;
  ScheduleOptions options;
  options.at_millis = due_ms;
  ASSERT_TQ_OK(scheduler->ScheduleTask("rec", options));
  ASSERT_TRUE(WaitUntil([&] { return !ReadRecords(f.records()).empty(); }, seconds(10)))
      << daemon->Log();
  const int64_t started_ms = ReadRecords(f.records()).front().nanos / 1000000;
  EXPECT_GE(started_ms, due_ms);
  EXPECT_LT(started_ms - due_ms, 500) << "the daemon should sleep exactly until the due time";
  StopDaemon(*daemon);
}

TEST(DaemonRunTest, ChildGetsItsEnvironmentAndItsOutputIsKept) {
  DaemonFixture f;
  f.plugins().Write("env", {ShellProcessor("env",
                                           "echo id=$TASKQUEUE_TASK_ID name=$TASKQUEUE_NAME "
                                           "attempt=$TASKQUEUE_ATTEMPT notify=$NOTIFY_SOCKET; "
                                           "echo oops >&2; echo 'RESULT: all good'")});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("env");
  ASSERT_TRUE(f.WaitForState(id, TaskState::kComplete)) << daemon->Log();
  EXPECT_EQ(f.Find(id)->result, "all good");
  std::ifstream in(f.queue().OutputPath(id));
  std::stringstream out;
  out << in.rdbuf();
  EXPECT_EQ(out.str(), "id=TQ:TaskQueue:" + std::to_string(id) +
                           " name=tasks attempt=1 notify=\noops\nRESULT: all good\n");
  StopDaemon(*daemon);
}

// With WatchdogSec= in the unit, systemd sets WATCHDOG_USEC and restarts a
// daemon that stays silent that long; the loop says WATCHDOG=1 at half that
// interval, idle or not. A watchdog meant for another process is ignored.
TEST(DaemonRunTest, FeedsTheServiceManagersWatchdog) {
  DaemonFixture f;
  auto daemon = f.StartDaemon({}, {"WATCHDOG_USEC=100000"});
  ASSERT_TRUE(daemon);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(daemon->WaitMessage("WATCHDOG=1", std::chrono::seconds(10))) << daemon->Log();
  }
  StopDaemon(*daemon);

  auto other = f.StartDaemon({}, {"WATCHDOG_USEC=100000", "WATCHDOG_PID=1"});
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->WaitMessage("WATCHDOG=1", std::chrono::milliseconds(300)));
  StopDaemon(*other);
}

// noop runs inline, on the loop's thread (Processor::RunsInline).
TEST(DaemonRunTest, InProcessNoopCompletesWithNoChild) {
  DaemonFixture f;
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("noop");  // the built-in in-process processor
  ASSERT_TRUE(f.WaitForState(id, TaskState::kComplete)) << daemon->Log();
  EXPECT_EQ(f.Find(id)->pid, 0);
  StopDaemon(*daemon);
}

// Inline work ends the moment it starts, so the loop could claim and run it
// forever without looking at anything else. A SIGTERM still gets in between
// two passes: the daemon stops with most of a long queue of noop waiting.
TEST(DaemonRunTest, SigtermStopsALongQueueOfInlineWorkBetweenPasses) {
  DaemonFixture f;
  std::vector<std::string> commands;
  for (int i = 0; i < 10000; ++i) commands.push_back("noop " + std::to_string(i));
  ASSERT_TQ_OK(f.queue().QueueTasks(commands));
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  ASSERT_TRUE(WaitUntil([&] {
    auto complete = f.queue().Count(TaskState::kComplete);
    return complete.ok() && *complete > 0;
  }));
  StopDaemon(*daemon);
  auto waiting = f.queue().Count(TaskState::kWaiting);
  ASSERT_TQ_OK(waiting);
  EXPECT_GT(*waiting, 0) << "the daemon ran the whole queue before it saw the SIGTERM";
  EXPECT_EQ(*f.queue().Count(TaskState::kProcessing), 0);
}

// `taskqueuectl set keep_failed_count 1` while the daemon runs: the history
// is cut within about a second (taskqueuectl(1)), not at the next hourly
// pruning. The set comes right after the runs, while the daemon's copy of
// the settings is fresh: it must still read them again.
TEST(DaemonRunTest, ARetentionSetWhileRunningAppliesAtOnce) {
  DaemonFixture f;
  f.plugins().Write("fail", {ShellProcessor("fail", "exit 3")});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(f.Enqueue("fail " + std::to_string(i)));
  for (int64_t id : ids) ASSERT_TRUE(f.WaitForState(id, TaskState::kFailed)) << daemon->Log();
  ASSERT_TQ_OK(f.queue().SetSetting("keep_failed_count", "1"));
  EXPECT_TRUE(WaitUntil([&] {
    auto failed = f.queue().Count(TaskState::kFailed);
    return failed.ok() && *failed == 1;
  })) << daemon->Log();
  EXPECT_TRUE(f.Find(ids[2])) << "the newest failure is the one kept";
  StopDaemon(*daemon);
}

TEST(DaemonRunTest, OutputIsCutAtMaxOutputBytes) {
  DaemonFixture f;
  // 6,000 bytes of output.
  f.plugins().Write("loud", {ShellProcessor("loud",
                                            "i=0; while [ $i -lt 100 ]; do "
                                            "echo 0123456789012345678901234567890123456"
                                            "789012345678901234567890; i=$((i+1)); "
                                            "done")});
  ASSERT_TQ_OK(f.queue().SetSetting("max_output_bytes", "1000"));
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("loud");
  ASSERT_TRUE(f.WaitForState(id, TaskState::kComplete)) << daemon->Log();
  std::ifstream in(f.queue().OutputPath(id));
  std::stringstream out;
  out << in.rdbuf();
  EXPECT_LT(out.str().size(), 1100u);
  EXPECT_EQ(out.str().substr(0, 10), "0123456789") << "the beginning is kept";
  EXPECT_NE(out.str().find("output cut at max_output_bytes=1000"), std::string::npos) << out.str();
  StopDaemon(*daemon);
}

// A task that prints nothing leaves no output file, and its empty file may
// serve a later task; but not while a process it left behind (in a session
// of its own, out of the group the daemon kills) still holds it, or what that
// process prints later would land in the later task's output.
TEST(DaemonRunTest, ATasksOutputIsItsOwnAfterQuietTasksAndTheirStragglers) {
  DaemonFixture f;
  f.plugins().Write("quiet", {ShellProcessor("quiet", "true")});
  // It gives the straggler time to leave its group before it ends (the
  // group is killed then).
  f.plugins().Write(
      "straggle", {ShellProcessor("straggle", "setsid sh -c 'sleep 0.5; echo late' & sleep 0.2")});
  f.plugins().Write("print", {ShellProcessor("print", "sleep 1; echo mine")});
  auto daemon = f.StartDaemon({"--max-running", "1"});
  ASSERT_TRUE(daemon);
  const int64_t quiet = f.Enqueue("quiet");
  ASSERT_TRUE(f.WaitForState(quiet, TaskState::kComplete)) << daemon->Log();
  const int64_t straggle = f.Enqueue("straggle");
  ASSERT_TRUE(f.WaitForState(straggle, TaskState::kComplete)) << daemon->Log();
  // Starts while the straggler still holds its task's output, and prints
  // after the straggler has.
  const int64_t print = f.Enqueue("print");
  ASSERT_TRUE(f.WaitForState(print, TaskState::kComplete)) << daemon->Log();

  std::ifstream in(f.queue().OutputPath(print));
  std::stringstream out;
  out << in.rdbuf();
  EXPECT_EQ(out.str(), "mine\n");
  EXPECT_FALSE(std::filesystem::exists(f.queue().OutputPath(quiet)));
  StopDaemon(*daemon);
}

TEST(DaemonRunTest, SighupReloadsPlugins) {
  DaemonFixture f;
  f.plugins().Write("first", {ShellProcessor("first", "true")});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  f.plugins().Write("second", {ShellProcessor("second", RecordCommand(f.records(), "start"))});
  daemon->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] {
    return daemon->Log().find("plugins reloaded") != std::string::npos;
  })) << daemon->Log();
  const int64_t id = f.Enqueue("second");  // this producer loads both files
  ASSERT_TRUE(f.WaitForState(id, TaskState::kComplete)) << daemon->Log() << f.Find(id)->error;
  EXPECT_EQ(ReadRecords(f.records()).size(), 1u);
  StopDaemon(*daemon);
}

}  // namespace
}  // namespace taskqueue::testing
