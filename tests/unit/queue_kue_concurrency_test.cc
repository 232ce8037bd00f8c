// Per-command concurrency (Processor::Concurrency) is never exceeded when
// many tasks of several commands are claimed, with and without an extra
// max_running cap and from several processes at once; a capped command
// never blocks the tasks behind it. Also test mode (record_only): tasks are
// recorded and never started.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "fakes/fork_util.h"
#include "fakes/kue_fixture.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ForkChild;
using ::taskqueue::testing::KueFixture;
using ::taskqueue::testing::KueProcessor;
using ::taskqueue::testing::LineReader;
using ::taskqueue::testing::Pipe;
using ::taskqueue::testing::WaitExit;
using ::taskqueue::testing::WriteLine;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::map<std::string, int> kCaps = {{"one", 1}, {"two", 2}, {"free", 0}};

class QueueKueConcurrencyTest : public KueFixture {
 protected:
  void SetUp() override {
    for (const auto& [command, cap] : kCaps) {
      KueProcessor::Config c;
      c.concurrency = cap;
      Register(command, c);
    }
  }
  QueueOptions Wide() const {
    QueueOptions o = KueOptions();
    o.max_running = 50;
    return o;
  }
  // Queues `per_command` tasks of each command, interleaved.
  static void Fill(Queue& q, int per_command) {
    for (int i = 0; i < per_command; ++i) {
      for (const auto& [command, cap] : kCaps) {
        ASSERT_NE(Enqueue(q, command + " " + std::to_string(i)), 0);
      }
    }
  }
  // A queue of `max_running` with "locked" registered, whose deferral tags
  // are its arguments.
  std::unique_ptr<Queue> OpenWithLocked(int64_t max_running) {
    KueProcessor::Config tagged;
    tagged.tags_from_args = true;
    Register("locked", tagged);
    QueueOptions o = KueOptions();
    o.max_running = max_running;
    return Open(o);
  }
  // Checks every cap against the stored processing counts.
  static void CheckCaps(const Queue& q, int64_t max_total) {
    for (const auto& [command, cap] : kCaps) {
      auto n = q.Count(TaskState::kProcessing, command);
      ASSERT_TQ_OK(n);
      if (cap > 0) {
        EXPECT_LE(*n, cap) << command;
      }
    }
    auto total = q.Count(TaskState::kProcessing, "");
    ASSERT_TQ_OK(total);
    EXPECT_LE(*total, max_total);
  }
  // Claims until nothing may start, finishing a random running task now and
  // then, until every task is complete. Returns the most tasks of each
  // command seen running at once.
  std::map<std::string, int64_t> Drain(Queue& q, const ClaimOptions& options, int64_t max_total) {
    std::mt19937 rng(42);
    std::vector<Task> running;
    std::map<std::string, int64_t> peak;
    for (int guard = 0; guard < 10'000; ++guard) {
      auto claimed = q.ClaimNext(options);
      EXPECT_TRUE(claimed.ok()) << claimed.status().ToString();
      if (!claimed.ok()) break;
      if (claimed->has_value()) {
        running.push_back(**claimed);
        CheckCaps(q, max_total);
        std::map<std::string, int64_t> now;
        for (const auto& t : running) ++now[t.command];
        for (const auto& [c, n] : now) peak[c] = std::max(peak[c], n);
        if (rng() % 3 != 0) continue;  // usually claim more before finishing
      }
      if (running.empty()) break;
      const size_t pick = rng() % running.size();
      EXPECT_TQ_OK(q.FinishTask(running[pick].id, Success()));
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    return peak;
  }
};

// FinishAndClaim (a supervisor's one transaction per loop turn) keeps every
// limit a sequence of ClaimNext calls keeps: per-command caps, max_running
// and deferral tags, counting the tasks it claims in the same call.
TEST_F(QueueKueConcurrencyTest, FinishAndClaimHoldsEveryLimitWithinOneCall) {
  auto q = OpenWithLocked(4);
  ASSERT_NE(q, nullptr);
  const int64_t one_a = Enqueue(*q, "one a");
  const int64_t one_b = Enqueue(*q, "one b");
  const int64_t lock_a = Enqueue(*q, "locked disk a");
  const int64_t lock_b = Enqueue(*q, "locked disk b");  // shares "disk": deferred
  const int64_t two_a = Enqueue(*q, "two a");
  const int64_t free_a = Enqueue(*q, "free a");
  const int64_t free_b = Enqueue(*q, "free b");
  (void)lock_b;

  auto first = q->FinishAndClaim({}, {}, 10);
  ASSERT_TQ_OK(first);
  EXPECT_THAT(Ids(*first), ElementsAre(one_a, lock_a, two_a, free_a));  // max_running 4
  CheckCaps(*q, 4);

  // Two runs end; their slots go to the next tasks in the same transaction.
  std::vector<FinishedTask> ended = {{one_a, Success()}, {lock_a, Success()}};
  auto second = q->FinishAndClaim(ended, {}, 10);
  ASSERT_TQ_OK(second);
  EXPECT_THAT(Ids(*second), ElementsAre(one_b, lock_b));
  auto done = q->FindTask(one_a);
  ASSERT_TQ_OK(done);
  EXPECT_EQ((*done)->state, TaskState::kComplete);

  // Nothing to record and every slot taken: nothing happens.
  auto third = q->FinishAndClaim({}, {}, 10);
  ASSERT_TQ_OK(third);
  EXPECT_THAT(*third, IsEmpty());
  // max_claims bounds a call even when slots are free.
  auto fourth = q->FinishAndClaim({{two_a, Success()}, {free_a, Success()}}, {}, 1);
  ASSERT_TQ_OK(fourth);
  EXPECT_THAT(Ids(*fourth), ElementsAre(free_b));
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 4);
  EXPECT_EQ(counts->processing, 3);
}

// In one FinishAndClaim, the ended runs free their slots and tags for the
// claim, and a task it defers for the tags of a run that goes on stays
// deferred until that run ends.
TEST_F(QueueKueConcurrencyTest, FinishAndClaimReleasesOnlyTheEndedRunsTags) {
  auto q = OpenWithLocked(2);
  ASSERT_NE(q, nullptr);
  // Every argument is a tag.
  const int64_t disk_a = Enqueue(*q, "locked disk");
  const int64_t net_a = Enqueue(*q, "locked net");
  auto first = q->FinishAndClaim({}, {}, 10);
  ASSERT_TQ_OK(first);
  ASSERT_THAT(Ids(*first), ElementsAre(disk_a, net_a));
  const int64_t net_b = Enqueue(*q, "locked net");    // net_a still runs
  const int64_t disk_b = Enqueue(*q, "locked disk");  // disk_a is ending

  auto second = q->FinishAndClaim({{disk_a, Success()}}, {}, 10);
  ASSERT_TQ_OK(second);
  EXPECT_THAT(Ids(*second), ElementsAre(disk_b));
  EXPECT_EQ((*q->FindTask(disk_a))->state, TaskState::kComplete);
  EXPECT_EQ((*q->FindTask(net_b))->state, TaskState::kDeferred);

  // net_a ends: net_b runs next.
  auto third = q->FinishAndClaim({{net_a, Success()}}, {}, 10);
  ASSERT_TQ_OK(third);
  EXPECT_THAT(Ids(*third), ElementsAre(net_b));
  CheckCaps(*q, 2);
}

TEST_F(QueueKueConcurrencyTest, CappedCommandDoesNotBlockOthers) {
  auto q = Open(Wide());
  ASSERT_NE(q, nullptr);
  const int64_t one_a = Enqueue(*q, "one a");
  const int64_t one_b = Enqueue(*q, "one b");
  const int64_t free_a = Enqueue(*q, "free a");
  ASSERT_EQ(Claim(*q), one_a);
  ASSERT_EQ(Claim(*q), free_a);  // one_b must wait; free_a does not
  ASSERT_EQ(Claim(*q), 0);
  auto t = q->FindTask(one_b);
  ASSERT_TQ_OK(t);
  EXPECT_EQ((*t)->state, TaskState::kWaiting);  // held by the cap, not deferred
  ASSERT_TQ_OK(q->FinishTask(one_a, Success()));
  ASSERT_EQ(Claim(*q), one_b);
}

TEST_F(QueueKueConcurrencyTest, CapsHoldWhileClaimingManyTasks) {
  auto q = Open(Wide());
  ASSERT_NE(q, nullptr);
  Fill(*q, 30);
  auto peak = Drain(*q, {}, 50);
  EXPECT_EQ(peak["one"], 1);
  EXPECT_EQ(peak["two"], 2);
  EXPECT_GT(peak["free"], 2);  // uncapped work really ran in parallel
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 90);
  EXPECT_EQ(counts->waiting, 0);
}

TEST_F(QueueKueConcurrencyTest, CapsHoldUnderAClaimMaxRunning) {
  auto q = Open(Wide());
  ASSERT_NE(q, nullptr);
  Fill(*q, 20);
  ClaimOptions three;
  three.max_running = 3;
  auto peak = Drain(*q, three, 3);
  EXPECT_EQ(peak["one"], 1);
  EXPECT_LE(peak["two"], 2);
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 60);
}

TEST_F(QueueKueConcurrencyTest, CapsHoldUnderTheQueueMaxRunning) {
  QueueOptions o = KueOptions();
  o.max_running = 2;
  auto q = Open(o);
  ASSERT_NE(q, nullptr);
  Fill(*q, 15);
  auto peak = Drain(*q, {}, 2);
  EXPECT_EQ(peak["one"], 1);
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 45);
}

TEST_F(QueueKueConcurrencyTest, CapsHoldAcrossProcesses) {
  constexpr int kWorkers = 3;
  {
    auto q = Open(Wide());
    ASSERT_NE(q, nullptr);
    Fill(*q, 15);
  }
  Pipe pipe;
  ASSERT_TRUE(pipe.ok());
  std::vector<pid_t> pids;
  for (int w = 0; w < kWorkers; ++w) {
    pids.push_back(ForkChild([&]() -> int {
      pipe.CloseRead();
      QueueOptions o = Options();  // real clock: each process has its own
      auto q = Queue::Open(o);
      if (!q.ok()) return 1;
      std::vector<int64_t> mine;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (std::chrono::steady_clock::now() < deadline) {
        auto claimed = (*q)->ClaimNext();
        if (!claimed.ok()) {
          if (claimed.status().IsBusy()) continue;
          WriteLine(pipe.write_fd(), "error " + claimed.status().ToString());
          return 2;
        }
        if (claimed->has_value()) {
          mine.push_back((*claimed)->id);
          for (const auto& [command, cap] : kCaps) {
            auto n = (*q)->Count(TaskState::kProcessing, command);
            if (n.ok() && cap > 0 && *n > cap) {
              WriteLine(pipe.write_fd(), "over " + command + " " + std::to_string(*n));
            }
          }
        }
        // Hold up to two tasks, so that the workers overlap.
        if (mine.size() >= 2 || (!claimed->has_value() && !mine.empty())) {
          auto st = (*q)->FinishTask(mine.front(), RunOutcome{});
          if (!st.ok()) {
            WriteLine(pipe.write_fd(), "error " + st.ToString());
            return 3;
          }
          WriteLine(pipe.write_fd(), "done " + std::to_string(mine.front()));
          mine.erase(mine.begin());
        }
        auto waiting = (*q)->Count(TaskState::kWaiting, "");
        if (waiting.ok() && *waiting == 0 && mine.empty()) break;
      }
      return 0;
    }));
  }
  pipe.CloseWrite();
  std::set<int64_t> done;
  LineReader reader(pipe.read_fd());
  for (std::string line; reader.Next(&line);) {
    if (line.rfind("done ", 0) == 0) {
      EXPECT_TRUE(done.insert(std::stoll(line.substr(5))).second) << "finished twice: " << line;
    } else {
      ADD_FAILURE() << line;
    }
  }
  for (pid_t pid : pids) EXPECT_EQ(WaitExit(pid), 0);
  EXPECT_EQ(done.size(), 45u);
}

TEST_F(QueueKueConcurrencyTest, RecordOnlyRecordsAndNeverStarts) {
  QueueOptions o = KueOptions();
  o.record_only = true;
  auto q = Open(o);
  ASSERT_NE(q, nullptr);
  auto sched = Scheduler::ForQueue(*q);
  const int64_t a = Enqueue(*q, "free a");
  const int64_t b = Enqueue(*q, "one b");
  ScheduleOptions later;
  later.delay_seconds = 30;
  auto s = sched->ScheduleTask("two s", later);
  ASSERT_TQ_OK(s);

  EXPECT_EQ(Claim(*q), 0);
  auto work = q->HasWorkToDo();
  ASSERT_TQ_OK(work);
  EXPECT_FALSE(*work) << "a cPanel-style loop would never end";
  auto ran = q->ProcessNextTask();
  ASSERT_TQ_OK(ran);
  EXPECT_TRUE(*ran);
  // Schedules still come due with the fake clock, and are recorded too.
  clock_.AdvanceSeconds(30);
  auto moved = sched->ProcessReadyTasks(*q);
  ASSERT_TQ_OK(moved);
  EXPECT_EQ(*moved, 1);
  EXPECT_EQ(Claim(*q), 0);

  auto waiting = q->List({.state = TaskState::kWaiting});
  ASSERT_TQ_OK(waiting);
  EXPECT_THAT(Ids(*waiting), ElementsAre(a, b, s->id));
  EXPECT_THAT(
      Describe(EventsSince(*q, 0)),
      ElementsAre("enqueue:" + std::to_string(a), "enqueue:" + std::to_string(b),
                  "schedule:" + std::to_string(s->id), "promotion:" + std::to_string(s->id)));
  auto processing = q->ProcessingTasks();
  ASSERT_TQ_OK(processing);
  EXPECT_THAT(*processing, IsEmpty());

  // The recorded tasks are real: a normal queue on the same files runs them.
  auto real = Open(KueOptions());
  ASSERT_NE(real, nullptr);
  EXPECT_EQ(Claim(*real), a);
}

}  // namespace
}  // namespace taskqueue
