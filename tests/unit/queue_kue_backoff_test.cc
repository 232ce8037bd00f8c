// Attempts with backoff, checked under the fake clock: a failing
// in-process processor with 4 attempts is retried through the scheduler at
// now+N, now+2N, now+4N (exponential) or now+N each time (fixed), keeps its
// id, and is promoted only when the clock is advanced to its time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/kue_fixture.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::KueFixture;
using ::taskqueue::testing::KueProcessor;

class QueueKueBackoffTest : public KueFixture {
 protected:
  // Runs task `id` (which must be next) with ProcessNextTask; it fails.
  void RunAndFail(Queue& q, int64_t id) {
    auto next = q.PeekNextTask();
    ASSERT_TQ_OK(next);
    ASSERT_TRUE(next->has_value());
    ASSERT_EQ((*next)->id, id);
    ASSERT_TQ_OK(q.ProcessNextTask());
  }
  // Checks that `id` waits in the scheduler until exactly now + delay_s:
  // not promoted a millisecond early, promoted at its time.
  void ExpectRetryAfter(Queue& q, Scheduler& sched, int64_t id, int64_t delay_s) {
    const int64_t now = clock_.NowMillis();
    auto when = sched.WhenIsTaskScheduled(id);
    ASSERT_TQ_OK(when);
    ASSERT_TRUE(when->has_value()) << "task " << id << " is not waiting for a retry";
    EXPECT_EQ(**when, now + delay_s * 1000);
    auto counts = q.Counts();
    ASSERT_TQ_OK(counts);
    EXPECT_EQ(counts->waiting, 0);
    EXPECT_EQ(counts->scheduled, 1);

    clock_.AdvanceMillis(delay_s * 1000 - 1);
    auto moved = sched.ProcessReadyTasks(q);
    ASSERT_TQ_OK(moved);
    EXPECT_EQ(*moved, 0) << "promoted early";
    auto work = q.HasWorkToDo();
    ASSERT_TQ_OK(work);
    EXPECT_FALSE(*work);

    clock_.AdvanceMillis(1);
    moved = sched.ProcessReadyTasks(q);
    ASSERT_TQ_OK(moved);
    EXPECT_EQ(*moved, 1);
    auto t = q.FindTask(id);
    ASSERT_TQ_OK(t);
    ASSERT_TRUE(t->has_value());
    EXPECT_EQ((*t)->state, TaskState::kWaiting);
  }
  // Runs a failing task with 4 attempts and checks each retry's delay.
  void CheckSchedule(const std::string& command, const TaskOptions& options,
                     const std::vector<int64_t>& delays) {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
    auto sched = Scheduler::ForQueue(*q);
    const int64_t id = Enqueue(*q, command, options);
    for (size_t attempt = 1; attempt <= delays.size(); ++attempt) {
      SCOPED_TRACE("after attempt " + std::to_string(attempt));
      RunAndFail(*q, id);
      ExpectRetryAfter(*q, *sched, id, delays[attempt - 1]);
    }
    RunAndFail(*q, id);  // the last attempt
    auto t = q->FindTask(id);
    ASSERT_TQ_OK(t);
    ASSERT_TRUE(t->has_value());
    EXPECT_EQ((*t)->state, TaskState::kFailed);
    EXPECT_EQ((*t)->attempts_made, static_cast<int>(delays.size()) + 1);
    EXPECT_EQ((*t)->error, "it broke");
    auto scheduled = sched->HowManyScheduled();
    ASSERT_TQ_OK(scheduled);
    EXPECT_EQ(*scheduled, 0);
    // One failed_attempt per retry, then failed, all for the same id.
    int failed_attempts = 0, failed = 0;
    for (const auto& e : EventsSince(*q, 0)) {
      EXPECT_EQ(e.task_id, id);
      failed_attempts += e.type == "failed_attempt";
      failed += e.type == "failed";
    }
    EXPECT_EQ(failed_attempts, static_cast<int>(delays.size()));
    EXPECT_EQ(failed, 1);
  }
};

TEST_F(QueueKueBackoffTest, ExponentialFromTheProcessor) {
  KueProcessor::Config c;
  c.fail = true;
  c.attempts = 4;
  c.backoff = *Backoff::Parse("exponential:7");
  Register("flaky", c);
  CheckSchedule("flaky x", {}, {7, 14, 28});
}

TEST_F(QueueKueBackoffTest, FixedFromTheProcessor) {
  KueProcessor::Config c;
  c.fail = true;
  c.attempts = 4;
  c.backoff = *Backoff::Parse("fixed:45");
  Register("flaky", c);
  CheckSchedule("flaky x", {}, {45, 45, 45});
}

TEST_F(QueueKueBackoffTest, TaskOptionsWinOverTheProcessor) {
  KueProcessor::Config c;
  c.fail = true;
  c.attempts = 2;
  c.backoff = *Backoff::Parse("fixed:45");
  Register("flaky", c);
  TaskOptions o;
  o.attempts = 4;
  o.backoff = *Backoff::Parse("exponential:3");
  CheckSchedule("flaky x", o, {3, 6, 12});
}

TEST_F(QueueKueBackoffTest, NoBackoffUsesTheRescheduleDelay) {
  KueProcessor::Config c;
  c.fail = true;
  c.attempts = 3;
  c.reschedule_delay = 120;
  Register("flaky", c);
  CheckSchedule("flaky x", {}, {120, 120});
}

TEST_F(QueueKueBackoffTest, NonRetryableFailureFailsAtOnce) {
  KueProcessor::Config c;
  c.attempts = 4;
  c.backoff = *Backoff::Parse("fixed:5");
  Register("flaky", c);
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t id = Enqueue(*q, "flaky x");
  ASSERT_EQ(Claim(*q), id);
  RunOutcome fatal = Failure("bad input");
  fatal.retryable = false;
  ASSERT_TQ_OK(q->FinishTask(id, fatal));
  auto t = q->FindTask(id);
  ASSERT_TQ_OK(t);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->state, TaskState::kFailed);
  EXPECT_EQ((*t)->attempts_made, 1);
}

}  // namespace
}  // namespace taskqueue
