// Several producer processes on one queue. Replaces the original's lock-file
// cases 59-63, which test its own lock files: SPEC §2 uses SQLite's locks
// (and fcntl/Boost.Interprocess locks that die with their process), so what
// is checked here is the outcome the original's case 59 measured: 4
// processes x 250 queue_task lose nothing and never share an id, and with
// duplicate-heavy input exactly one task per distinct command is queued.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fakes/fork_util.h"
#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ForkChild;
using ::taskqueue::testing::LineReader;
using ::taskqueue::testing::Pipe;
using ::taskqueue::testing::TempDir;
using ::taskqueue::testing::WaitExit;
using ::taskqueue::testing::WriteLine;

constexpr int kProcesses = 4;
constexpr int kPerProcess = 250;

class QueueConcurrencyTest : public ::testing::Test {
 protected:
  QueueOptions Options() const {
    QueueOptions o;
    o.state_dir = dir_.path() / "state";
    return o;
  }

  // Runs kProcesses children, child w queueing command(w, i) for i in
  // [0, kPerProcess). Each reports "<id>" or "dupe <command>" per call on
  // the pipe. Returns the reported lines; every child must exit 0.
  std::vector<std::string> RunProducers(std::string (*command)(int w, int i)) {
    // Create the queue first, so that the children race on enqueue, not on
    // schema creation (which is covered too, but is not this test's subject).
    EXPECT_TQ_OK(Queue::Open(Options()));
    Pipe pipe;
    EXPECT_TRUE(pipe.ok());
    std::vector<pid_t> pids;
    for (int w = 0; w < kProcesses; ++w) {
      pids.push_back(ForkChild([&, w]() -> int {
        pipe.CloseRead();
        auto q = Queue::Open(Options());
        if (!q.ok()) {
          WriteLine(pipe.write_fd(), "error open: " + q.status().ToString());
          return 1;
        }
        for (int i = 0; i < kPerProcess; ++i) {
          const std::string cmd = command(w, i);
          auto r = (*q)->QueueTask(cmd);
          if (!r.ok()) {
            WriteLine(pipe.write_fd(), "error " + cmd + ": " + r.status().ToString());
            return 1;
          }
          WriteLine(pipe.write_fd(), r->duplicate ? "dupe " + cmd : std::to_string(r->id));
        }
        return 0;
      }));
    }
    pipe.CloseWrite();
    std::vector<std::string> lines;
    LineReader reader(pipe.read_fd());
    for (std::string line; reader.Next(&line);) lines.push_back(line);
    for (pid_t pid : pids) {
      EXPECT_GT(pid, 0);
      if (pid > 0) {
        EXPECT_EQ(WaitExit(pid), 0) << "producer " << pid;
      }
    }
    for (const auto& line : lines) EXPECT_NE(line.rfind("error", 0), 0u) << line;
    return lines;
  }

  TempDir dir_;
};

TEST_F(QueueConcurrencyTest, FourProcessesQueueDistinctCommandsWithUniqueIds) {
  auto lines = RunProducers(
      +[](int w, int i) { return "noop " + std::to_string(w) + "-" + std::to_string(i); });
  ASSERT_EQ(lines.size(), static_cast<size_t>(kProcesses * kPerProcess));
  std::set<int64_t> acked;
  for (const auto& line : lines) acked.insert(std::stoll(line));
  EXPECT_EQ(acked.size(), 1000u) << "two producers got the same id";

  auto q = Queue::Open(Options());
  ASSERT_TQ_OK(q);
  auto waiting = (*q)->TasksInState(TaskState::kWaiting);
  ASSERT_TQ_OK(waiting);
  ASSERT_EQ(waiting->size(), 1000u);
  std::set<int64_t> stored;
  std::set<std::string> uuids, commands;
  for (const auto& t : *waiting) {
    stored.insert(t.id);
    uuids.insert(t.uuid());
    commands.insert(t.full_command());
  }
  EXPECT_EQ(stored, acked);
  EXPECT_EQ(uuids.size(), 1000u);
  EXPECT_EQ(commands.size(), 1000u);
}

// Processes that open a queue nobody has created yet, all at once (cron
// jobs, a daemon and an events follower starting together), race to create
// its schema: every one of them opens it and queues, none is told "locked".
TEST_F(QueueConcurrencyTest, ProcessesCreatingTheSameNewQueueAtOnceAllSucceed) {
  constexpr int kRounds = 10, kOpeners = 6;
  for (int round = 0; round < kRounds; ++round) {
    QueueOptions o = Options();
    o.state_dir = dir_.path() / ("state" + std::to_string(round));
    Pipe start, report;
    ASSERT_TRUE(start.ok() && report.ok());
    std::vector<pid_t> pids;
    for (int w = 0; w < kOpeners; ++w) {
      pids.push_back(ForkChild([&, w]() -> int {
        start.CloseWrite();
        report.CloseRead();
        char go;
        if (read(start.read_fd(), &go, 1) < 0) return 2;  // EOF: everyone starts
        auto q = Queue::Open(o);
        if (!q.ok()) {
          WriteLine(report.write_fd(), "error open: " + q.status().ToString());
          return 1;
        }
        auto r = (*q)->QueueTask("noop " + std::to_string(w));
        if (!r.ok()) {
          WriteLine(report.write_fd(), "error queue: " + r.status().ToString());
          return 1;
        }
        return 0;
      }));
    }
    start.CloseRead();
    start.CloseWrite();  // releases them together
    report.CloseWrite();
    LineReader reader(report.read_fd());
    for (std::string line; reader.Next(&line);) ADD_FAILURE() << "round " << round << ": " << line;
    for (pid_t pid : pids) EXPECT_EQ(WaitExit(pid), 0);
    auto q = Queue::Open(o);
    ASSERT_TQ_OK(q);
    EXPECT_EQ((*q)->Counts()->waiting, kOpeners);
  }
}

TEST_F(QueueConcurrencyTest, DuplicateHeavyInputQueuesEachCommandOnce) {
  constexpr int kDistinct = 20;
  auto lines =
      RunProducers(+[](int w, int i) { return "noop " + std::to_string((i + w * 7) % kDistinct); });
  ASSERT_EQ(lines.size(), static_cast<size_t>(kProcesses * kPerProcess));
  std::set<int64_t> acked;
  for (const auto& line : lines) {
    if (line.rfind("dupe ", 0) != 0) acked.insert(std::stoll(line));
  }
  EXPECT_EQ(acked.size(), static_cast<size_t>(kDistinct));

  auto q = Queue::Open(Options());
  ASSERT_TQ_OK(q);
  auto waiting = (*q)->TasksInState(TaskState::kWaiting);
  ASSERT_TQ_OK(waiting);
  std::map<std::string, int> per_command;
  std::set<int64_t> stored;
  for (const auto& t : *waiting) {
    ++per_command[t.full_command()];
    stored.insert(t.id);
  }
  EXPECT_EQ(per_command.size(), static_cast<size_t>(kDistinct));
  for (const auto& [cmd, n] : per_command) EXPECT_EQ(n, 1) << cmd;
  EXPECT_EQ(stored, acked);
}

}  // namespace
}  // namespace taskqueue
