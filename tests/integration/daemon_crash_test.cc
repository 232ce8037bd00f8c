// taskqueued never loses or strands a task: kill -9 of the daemon at random
// moments while children run, then restarts; a graceful SIGTERM with a
// child running.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "integration/daemon_test_util.h"

namespace taskqueue::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(DaemonCrashTest, KillNineAtRandomMomentsLosesAndStrandsNothing) {
  DaemonFixture f;
  // Each run records its start and end; about one run in six fails, to
  // exercise retries across the crashes.
  const std::string work = RecordCommand(f.records(), "start") +
                           "; sleep 0.1$1; r=$(( 1$(date +%N) % 6 )); " +
                           RecordCommand(f.records(), "end") + "; [ $r -ne 0 ]";
  f.plugins().Write("work",
                    {ShellProcessor("work", work, {{"attempts", 3}, {"backoff", "fixed:1"}})});
  constexpr int kMaxRunning = 3;
  const std::vector<std::string> args = {"--max-running", std::to_string(kMaxRunning)};
  constexpr int kTasks = 90;
  std::set<int64_t> ids;
  for (int i = 0; i < kTasks; ++i) ids.insert(f.Enqueue("work " + std::to_string(10 + i)));

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> moment(0, 250);
  constexpr int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_FALSE(f.AllFinished()) << "work ran out before round " << round;
    auto daemon = f.StartDaemon(args);
    ASSERT_TRUE(daemon);
    // A random moment of its work: tests must not sleep to wait for
    // something, but here the wait is the point.
    std::this_thread::sleep_for(milliseconds(moment(rng)));
    daemon->Signal(SIGKILL);
    ASSERT_TRUE(daemon->WaitExit(seconds(10)).has_value());
  }
  auto daemon = f.StartDaemon(args);
  ASSERT_TRUE(daemon);
  ASSERT_TRUE(WaitUntil([&] { return f.AllFinished(); }, seconds(90)))
      << "now " << WallNanos() / 1000000 << "\n"
      << f.Unfinished() << daemon->Log();
  daemon->Signal(SIGTERM);
  ASSERT_TRUE(daemon->WaitExit(seconds(20)).has_value());

  // The crashes did leave children running for a restart to adopt.
  int adopted = 0;
  for (int i = 1; i <= kRounds + 1; ++i) {
    std::ifstream in(f.root() / ("daemon" + std::to_string(i) + ".log"));
    for (std::string line; std::getline(in, line);) {
      adopted += line.find("supervising it again") != std::string::npos ? 1 : 0;
    }
  }
  EXPECT_GT(adopted, 0);

  auto records = ReadRecords(f.records());
  std::map<std::string, int> starts;
  for (const auto& r : records) {
    if (r.event == "start") ++starts[r.task];
  }
  auto events = f.queue().Events(0, 0);
  ASSERT_TQ_OK(events);
  std::map<int64_t, std::map<std::string, int>> by_task;
  for (const auto& e : *events) ++by_task[e.task_id][e.type];
  for (int64_t id : ids) {
    auto t = f.Find(id);
    ASSERT_TRUE(t) << "task " << id << " was lost";
    const std::string uuid = t->uuid();
    ASSERT_TRUE(t->state == TaskState::kComplete || t->state == TaskState::kFailed)
        << uuid << " is " << TaskStateName(t->state);
    auto& ev = by_task[id];
    // Exactly one ending, and every run that started is accounted for by
    // one recorded attempt: the failed ones, plus the final one.
    EXPECT_EQ(ev["complete"] + ev["failed"], 1) << uuid;
    EXPECT_EQ(starts[uuid], ev["failed_attempt"] + 1) << uuid;
    EXPECT_LE(t->attempts_made, 3) << uuid;
    EXPECT_GE(starts[uuid], 1) << uuid;
    EXPECT_LE(starts[uuid], t->attempts_made) << uuid;
  }
  EXPECT_LE(MaxOverlap(records, WallNanos()), kMaxRunning);
}

TEST(DaemonCrashTest, SigtermStopsARunningChildInTimeAndItRunsAgain) {
  DaemonFixture f;
  const auto pids = f.root() / "pids";
  const std::string script =
      RecordCommand(f.records(), "start") + "; echo $$ >> " + pids.string() + "; exec sleep 300";
  f.plugins().Write("long", {ShellProcessor("long", script)});
  auto daemon = f.StartDaemon({"--shutdown-grace", "1", "--kill-grace", "1"});
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("long");
  ASSERT_TRUE(WaitUntil([&] { return ReadRecords(f.records()).size() == 1; })) << daemon->Log();
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(pids); }));

  const int64_t asked = MonoMillis();
  daemon->Signal(SIGTERM);
  auto status = daemon->WaitExit(seconds(10));
  ASSERT_TRUE(status.has_value()) << daemon->Log();
  const int64_t took = MonoMillis() - asked;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << daemon->Log();
  EXPECT_GE(took, 1000) << "the child should have had its grace period";
  EXPECT_LT(took, 1000 + 3000) << "grace period plus a margin";
  pid_t child = 0;
  std::ifstream(pids) >> child;
  EXPECT_TRUE(ProcessGone(child));
  auto t = f.Find(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, TaskState::kWaiting) << "an interrupted task waits to run again";
  EXPECT_EQ(t->attempts_made, 0) << "an interrupted attempt is not counted";

  auto again = f.StartDaemon({"--shutdown-grace", "0"});
  ASSERT_TRUE(again);
  ASSERT_TRUE(WaitUntil([&] { return ReadRecords(f.records()).size() == 2; })) << again->Log();
  again->Signal(SIGTERM);
  ASSERT_TRUE(again->WaitExit(seconds(10)).has_value());
}

TEST(DaemonCrashTest, SecondSigintStopsAtOnce) {
  DaemonFixture f;
  f.plugins().Write(
      "long", {ShellProcessor("long", RecordCommand(f.records(), "start") + "; exec sleep 300")});
  auto daemon = f.StartDaemon({"--shutdown-grace", "60"});
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("long");
  ASSERT_TRUE(WaitUntil([&] { return ReadRecords(f.records()).size() == 1; })) << daemon->Log();
  daemon->Signal(SIGINT);
  EXPECT_FALSE(daemon->WaitExit(milliseconds(300)).has_value()) << "first SIGINT is graceful";
  daemon->Signal(SIGINT);
  auto status = daemon->WaitExit(seconds(5));
  ASSERT_TRUE(status.has_value()) << daemon->Log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  EXPECT_EQ(f.Find(id)->state, TaskState::kWaiting);
}

TEST(DaemonCrashTest, RestartSupervisesAStillRunningChildAgain) {
  DaemonFixture f;
  const auto go = f.root() / "go";
  // The child waits for the test's signal (a file), then exits 0.
  const std::string script = "echo before; " + RecordCommand(f.records(), "start") +
                             "; while [ ! -e " + go.string() + " ]; do sleep 0.02; done; " +
                             RecordCommand(f.records(), "end") + "; echo after";
  f.plugins().Write("wait", {ShellProcessor("wait", script, {{"attempts", 1}})});
  auto daemon = f.StartDaemon({"--max-running", "1"});
  ASSERT_TRUE(daemon);
  const int64_t id = f.Enqueue("wait");
  const int64_t other = f.Enqueue("wait x");
  ASSERT_TRUE(WaitUntil([&] { return ReadRecords(f.records()).size() == 1; })) << daemon->Log();
  daemon->Signal(SIGKILL);
  ASSERT_TRUE(daemon->WaitExit(seconds(10)).has_value());

  auto again = f.StartDaemon({"--max-running", "1"});
  ASSERT_TRUE(again);
  // Still running: adopted, still processing, and max_running 1 holds.
  auto t = f.Find(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, TaskState::kProcessing);
  EXPECT_EQ(f.Find(other)->state, TaskState::kWaiting);
  std::ofstream(go) << "";
  ASSERT_TRUE(WaitUntil([&] { return f.AllFinished(); })) << again->Log();
  EXPECT_EQ(f.Find(id)->state, TaskState::kComplete) << f.Find(id)->error;
  EXPECT_EQ(f.Find(other)->state, TaskState::kComplete);
  // Its output, begun under the killed daemon, is whole.
  std::ifstream output(f.queue().OutputPath(id));
  std::stringstream text;
  text << output.rdbuf();
  EXPECT_EQ(text.str(), "before\nafter\n");
  auto records = ReadRecords(f.records());
  EXPECT_EQ(records.size(), 4u);
  EXPECT_LE(MaxOverlap(records, WallNanos()), 1);
  again->Signal(SIGTERM);
  ASSERT_TRUE(again->WaitExit(seconds(10)).has_value());
}

// A daemon (here: a pid that is gone) claimed a task and started its child,
// noted in the spawn journal only, and died before the child exec'd: the
// child bears the name `comm` (kUnreleasedComm or kStartingComm). The
// restarted daemon kills it and runs the task again, without counting the
// run that never started.
void ExpectChildThatNeverExecdIsKilledAndItsTaskRunsAgain(const char* comm) {
  DaemonFixture f;
  f.plugins().Write("rec", {ShellProcessor("rec", RecordCommand(f.records(), "start"))});
  const int64_t id = f.Enqueue("rec");
  // A daemon (here: a pid that is gone) claimed the task and started its
  // child, noted in the spawn journal only, and died before the child
  // could run: the child still bears the unreleased name.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ::waitpid(dead, nullptr, 0);
  ClaimOptions claim;
  claim.runner_pid = dead;
  auto claimed = f.queue().ClaimNext(claim);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  ASSERT_EQ((*claimed)->id, id);
  const pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_NAME, comm, 0, 0, 0);
    for (;;) ::pause();
  }
  ASSERT_GT(child, 0);
  ASSERT_TRUE(WaitUntil([&] {
    std::ifstream in("/proc/" + std::to_string(child) + "/comm");
    std::string name;
    return std::getline(in, name) && name == comm;
  }));
  std::string boot_id;
  std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), boot_id);
  std::ofstream(f.state() / "tasks.daemon.spawns")
      << "boot " << boot_id << "\n"
      << id << " " << child << " " << ProcessStartTime(child) << "\n";

  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  // Whatever moment it was at, it must not run the task beside the retry.
  int status = 0;
  const bool ended = WaitUntil([&] { return ::waitpid(child, &status, WNOHANG) == child; });
  if (!ended) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  ASSERT_TRUE(ended) << "the child named " << comm << " was left alive; the daemon's log:\n"
                     << daemon->Log();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << daemon->Log();
  ASSERT_TRUE(f.WaitForState(id, TaskState::kComplete)) << daemon->Log();
  EXPECT_EQ(ReadRecords(f.records()).size(), 1u);
  // The run that never started does not count as an attempt.
  EXPECT_EQ(f.Find(id)->attempts_made, 1);
  EXPECT_NE(daemon->Log().find("never started"), std::string::npos) << daemon->Log();
  daemon->Signal(SIGTERM);
  ASSERT_TRUE(daemon->WaitExit(seconds(10)).has_value());
}

TEST(DaemonCrashTest, AChildLeftUnreleasedIsKilledAndItsTaskRunsAgain) {
  ExpectChildThatNeverExecdIsKilledAndItsTaskRunsAgain("tq-unreleased");
}

// Noted, and between its last check and its exec: it may still find its
// daemon gone and exit unrun, so it must not be adopted as a running task.
TEST(DaemonCrashTest, AChildNotedButNotYetExecdIsKilledAndItsTaskRunsAgain) {
  ExpectChildThatNeverExecdIsKilledAndItsTaskRunsAgain("tq-starting");
}

TEST(DaemonCrashTest, AChildStartedBeforeItsClaimWasCommittedIsClaimedAtRestartAndSupervised) {
  DaemonFixture f;
  f.plugins().Write("rec", {ShellProcessor("rec", RecordCommand(f.records(), "start"))});
  const int64_t started = f.Enqueue("rec 1");
  const int64_t other = f.Enqueue("rec 2");
  const auto waiting = f.Find(started);
  ASSERT_TRUE(waiting);
  // A daemon claimed `started` and started its child, which noted itself in
  // the spawn journal, and then died before the claim's commit: in the file
  // the task still waits, at the seq the note names. The note of `other`
  // names another seq: it is of an earlier run, and tells nothing now.
  const pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    for (;;) ::pause();
  }
  ASSERT_GT(child, 0);
  // Whatever fails below, the process goes with the test.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reaper{child};
  std::string boot_id;
  std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), boot_id);
  const int64_t start_time = ProcessStartTime(child);
  std::ofstream(f.state() / "tasks.daemon.spawns")
      << "boot " << boot_id << "\n"
      << started << " 1 " << waiting->seq << " " << child << " " << start_time << "\n"
      << other << " 1 " << waiting->seq + 100 << " " << child << " " << start_time << "\n";

  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  // The run is claimed, with the attempt it is, and supervised: the daemon
  // does not start the task a second time.
  ASSERT_TRUE(WaitUntil([&] {
    auto t = f.Find(started);
    return t && t->state == TaskState::kProcessing && t->pid == child;
  })) << daemon->Log();
  EXPECT_EQ(f.Find(started)->attempts_made, 1);
  EXPECT_NE(daemon->Log().find("supervising it again"), std::string::npos) << daemon->Log();
  ASSERT_TRUE(f.WaitForState(other, TaskState::kComplete)) << daemon->Log();
  EXPECT_EQ(f.Find(other)->attempts_made, 1);

  // Its process ends: the run is over, and it was the task's one attempt.
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(f.WaitForState(started, TaskState::kFailed)) << daemon->Log();
  EXPECT_EQ(f.Find(started)->attempts_made, 1);
  EXPECT_EQ(ReadRecords(f.records()).size(), 1u) << "only `other` ran under this daemon";
  daemon->Signal(SIGTERM);
  ASSERT_TRUE(daemon->WaitExit(seconds(10)).has_value());
}

}  // namespace
}  // namespace taskqueue::testing
