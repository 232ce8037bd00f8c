// Queue::SetState: moving a task that is not running to another state by
// hand (Kue's PUT /job/:id/state/:state), from every state to every state,
// across the two files, with the events each move leaves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "fakes/test_util.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::TempDir;
using ::testing::HasSubstr;

class QueueSetStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TQ_OK(registry_->RegisterFunction(
        "fail", [](TaskContext&) { return Result<std::string>(Status::Aborted("boom")); }));
    QueueOptions o;
    o.state_dir = dir_.path() / "state";
    o.registry = registry_;
    o.max_running = 5;
    auto q = Queue::Open(o);
    ASSERT_TQ_OK(q);
    queue_ = std::move(q).value();
    scheduler_ = Scheduler::ForQueue(*queue_);
  }

  int64_t Add(const std::string& command, int priority = 0) {
    TaskOptions o;
    o.priority = priority;
    auto r = queue_->QueueTask(command, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : 0;
  }

  int64_t AddScheduled(const std::string& command, int64_t delay_seconds = 3600) {
    ScheduleOptions o;
    o.delay_seconds = delay_seconds;
    auto r = scheduler_->ScheduleTask(command, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : 0;
  }

  Task Get(int64_t id) {
    auto t = queue_->FindTask(id);
    EXPECT_TRUE(t.ok() && t->has_value()) << "task " << id << " not in the queue file";
    return t.ok() && t->has_value() ? **t : Task{};
  }

  // Runs the next task to the end (in-process processors only).
  void RunNext() {
    auto r = queue_->ProcessNextTask();
    ASSERT_TQ_OK(r);
  }

  // The type of the newest event about task `id`, "" if none.
  std::string LastEvent(int64_t id) {
    auto events = queue_->Events(0, 100000);
    EXPECT_TRUE(events.ok());
    std::string type;
    if (events.ok()) {
      for (const Event& e : *events) {
        if (e.task_id == id) type = e.type;
      }
    }
    return type;
  }

  TempDir dir_;
  std::shared_ptr<ProcessorRegistry> registry_ = std::make_shared<ProcessorRegistry>();
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(QueueSetStateTest, WaitingToCompleteFinishesWithoutARun) {
  int64_t id = Add("noop a");
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kComplete));
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kComplete);
  EXPECT_TRUE(t.finished_at.has_value());
  EXPECT_FALSE(t.started_at.has_value());
  EXPECT_EQ(t.attempts_made, 0);
  EXPECT_EQ(LastEvent(id), "complete");
  auto counts = queue_->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_EQ(counts->complete, 1);
  // Nothing is left to run.
  auto next = queue_->PeekNextTask();
  ASSERT_TQ_OK(next);
  EXPECT_FALSE(next->has_value());
}

TEST_F(QueueSetStateTest, WaitingToFailedRecordsWhy) {
  int64_t id = Add("noop a");
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kFailed));
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_THAT(t.error, HasSubstr("by hand"));
  EXPECT_EQ(LastEvent(id), "failed");
  // Its error is searchable, as a run's would be.
  auto found = queue_->Search("hand");
  ASSERT_TQ_OK(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, id);
}

TEST_F(QueueSetStateTest, CompleteAndFailedSwap) {
  int64_t id = Add("noop a");
  RunNext();
  ASSERT_EQ(Get(id).state, TaskState::kComplete);
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kFailed));
  EXPECT_EQ(Get(id).state, TaskState::kFailed);
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kComplete));
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kComplete);
  EXPECT_TRUE(t.error.empty());
  EXPECT_EQ(t.attempts_made, 1);  // the real run stays counted
}

TEST_F(QueueSetStateTest, FailedToWaitingRunsAgainWithAttemptsReset) {
  int64_t id = Add("fail");
  RunNext();
  Task failed = Get(id);
  ASSERT_EQ(failed.state, TaskState::kFailed);
  ASSERT_EQ(failed.attempts_made, 1);
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kWaiting));
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kWaiting);
  EXPECT_EQ(t.attempts_made, 0);
  EXPECT_TRUE(t.error.empty());
  EXPECT_FALSE(t.finished_at.has_value());
  EXPECT_EQ(LastEvent(id), "retry");
}

TEST_F(QueueSetStateTest, SameStateChangesNothing) {
  int64_t id = Add("noop a");
  std::string before = LastEvent(id);
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kWaiting));
  EXPECT_EQ(Get(id).state, TaskState::kWaiting);
  EXPECT_EQ(LastEvent(id), before);
  int64_t later = AddScheduled("noop later");
  ASSERT_TQ_OK(queue_->SetState(later, TaskState::kScheduled));
  auto when = scheduler_->WhenIsTaskScheduled(later);
  ASSERT_TQ_OK(when);
  ASSERT_TRUE(when->has_value());
  EXPECT_GT(**when, queue_->clock().NowMillis() + 3000 * 1000);  // its time is kept
}

TEST_F(QueueSetStateTest, ActiveMovesAWaitingTaskToTheHead) {
  int64_t a = Add("noop a");
  int64_t b = Add("noop b");
  int64_t c = Add("noop c");
  ASSERT_TQ_OK(queue_->SetState(c, TaskState::kProcessing));
  EXPECT_EQ(Get(c).state, TaskState::kWaiting);  // the daemon starts it, not us
  EXPECT_EQ(LastEvent(c), "promotion");
  auto order = queue_->TasksInState(TaskState::kWaiting);
  ASSERT_TQ_OK(order);
  ASSERT_EQ(order->size(), 3u);
  EXPECT_EQ((*order)[0].id, c);
  EXPECT_EQ((*order)[1].id, a);
  EXPECT_EQ((*order)[2].id, b);
  auto claimed = queue_->ClaimNext();
  ASSERT_TQ_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  EXPECT_EQ((*claimed)->id, c);
}

TEST_F(QueueSetStateTest, ActiveTakesTheHeadsPriorityWhenThatRunsEarlier) {
  Add("noop urgent", -10);
  int64_t low = Add("noop low", 10);
  ASSERT_TQ_OK(queue_->SetState(low, TaskState::kProcessing));
  EXPECT_EQ(Get(low).priority, -10);
  auto next = queue_->PeekNextTask();
  ASSERT_TQ_OK(next);
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->id, low);

  // A task that already runs first keeps its own priority.
  int64_t top = Add("noop top", -15);
  ASSERT_TQ_OK(queue_->SetState(top, TaskState::kProcessing));
  EXPECT_EQ(Get(top).priority, -15);
}

TEST_F(QueueSetStateTest, ActiveRestartsAFinishedTaskAtTheHead) {
  int64_t done = Add("noop done");
  RunNext();
  int64_t waiting = Add("noop waiting");
  ASSERT_TQ_OK(queue_->SetState(done, TaskState::kProcessing));
  Task t = Get(done);
  EXPECT_EQ(t.state, TaskState::kWaiting);
  EXPECT_EQ(t.attempts_made, 0);
  EXPECT_EQ(LastEvent(done), "retry");
  auto next = queue_->PeekNextTask();
  ASSERT_TQ_OK(next);
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->id, done);
  EXPECT_NE((*next)->id, waiting);
}

TEST_F(QueueSetStateTest, DelayedMovesAQueuedTaskToTheSchedulerDueNow) {
  int64_t id = Add("noop a");
  const int64_t before = queue_->clock().NowMillis();
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kScheduled));
  auto in_queue = queue_->FindTask(id);
  ASSERT_TQ_OK(in_queue);
  EXPECT_FALSE(in_queue->has_value());
  auto when = scheduler_->WhenIsTaskScheduled(id);
  ASSERT_TQ_OK(when);
  ASSERT_TRUE(when->has_value());
  EXPECT_GE(**when, before);
  EXPECT_LE(**when, queue_->clock().NowMillis());
  EXPECT_EQ(LastEvent(id), "schedule");
  // The scheduler queues it back, with the same id.
  auto moved = scheduler_->ProcessReadyTasks(*queue_);
  ASSERT_TQ_OK(moved);
  EXPECT_EQ(*moved, 1);
  EXPECT_EQ(Get(id).state, TaskState::kWaiting);
}

TEST_F(QueueSetStateTest, DelayedResetsAFinishedTask) {
  int64_t id = Add("fail");
  RunNext();
  ASSERT_EQ(Get(id).state, TaskState::kFailed);
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kScheduled));
  auto scheduled = scheduler_->IsTaskScheduled(id);
  ASSERT_TQ_OK(scheduled);
  ASSERT_TRUE(scheduled->has_value());
  EXPECT_EQ((*scheduled)->attempts_made, 0);
  EXPECT_TRUE((*scheduled)->error.empty());
  auto counts = queue_->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(counts->scheduled, 1);
}

TEST_F(QueueSetStateTest, ScheduledToActiveIsQueuedAtTheHeadNow) {
  Add("noop first");
  int64_t id = AddScheduled("noop later");
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kProcessing));
  auto scheduled = scheduler_->IsTaskScheduled(id);
  ASSERT_TQ_OK(scheduled);
  EXPECT_FALSE(scheduled->has_value());
  auto next = queue_->PeekNextTask();
  ASSERT_TQ_OK(next);
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->id, id);
  EXPECT_EQ(LastEvent(id), "promotion");
}

TEST_F(QueueSetStateTest, ScheduledToInactiveIsPromotedNow) {
  int64_t first = Add("noop first");
  int64_t id = AddScheduled("noop later");
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kWaiting));
  auto count = scheduler_->HowManyScheduled();
  ASSERT_TQ_OK(count);
  EXPECT_EQ(*count, 0);
  auto order = queue_->TasksInState(TaskState::kWaiting);
  ASSERT_TQ_OK(order);
  ASSERT_EQ(order->size(), 2u);
  EXPECT_EQ((*order)[0].id, first);  // at the tail, as a promotion
  EXPECT_EQ((*order)[1].id, id);
}

TEST_F(QueueSetStateTest, ScheduledToInactiveDropsADuplicateAsItsPromotionWould) {
  Add("noop same");
  int64_t id = AddScheduled("noop same");
  ASSERT_TQ_OK(queue_->SetState(id, TaskState::kWaiting));
  auto in_queue = queue_->FindTask(id);
  ASSERT_TQ_OK(in_queue);
  EXPECT_FALSE(in_queue->has_value());
  EXPECT_EQ(LastEvent(id), "remove");
}

TEST_F(QueueSetStateTest, ScheduledToCompleteOrFailedGoesToHistory) {
  int64_t c = AddScheduled("noop c");
  int64_t f = AddScheduled("noop f");
  ASSERT_TQ_OK(queue_->SetState(c, TaskState::kComplete));
  ASSERT_TQ_OK(queue_->SetState(f, TaskState::kFailed));
  EXPECT_EQ(Get(c).state, TaskState::kComplete);
  EXPECT_EQ(Get(f).state, TaskState::kFailed);
  EXPECT_EQ(LastEvent(c), "complete");
  EXPECT_EQ(LastEvent(f), "failed");
  auto count = scheduler_->HowManyScheduled();
  ASSERT_TQ_OK(count);
  EXPECT_EQ(*count, 0);
}

TEST_F(QueueSetStateTest, AProcessingTaskIsRefusedAndLeftAlone) {
  int64_t id = Add("noop a");
  auto claimed = queue_->ClaimNext();
  ASSERT_TQ_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  for (TaskState s : {TaskState::kWaiting, TaskState::kProcessing, TaskState::kComplete,
                      TaskState::kFailed, TaskState::kScheduled}) {
    Status st = queue_->SetState(id, s);
    EXPECT_TRUE(st.IsInvalidArgument()) << TaskStateName(s) << ": " << st.ToString();
    EXPECT_THAT(st.message(), HasSubstr("is running"));
  }
  EXPECT_EQ(Get(id).state, TaskState::kProcessing);
  auto scheduled = scheduler_->HowManyScheduled();
  ASSERT_TQ_OK(scheduled);
  EXPECT_EQ(*scheduled, 0);
}

TEST_F(QueueSetStateTest, DeferredAndUnknownIdsAreRefused) {
  int64_t id = Add("noop a");
  Status st = queue_->SetState(id, TaskState::kDeferred);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("deferred"));
  EXPECT_TRUE(queue_->SetState(999, TaskState::kComplete).IsNotFound());
  EXPECT_TRUE(queue_->SetState(999, TaskState::kScheduled).IsNotFound());
}

// The engine's strict move takes its scheduler copy back when the task is
// not in the state it was read in (a run started, or it was removed).
TEST(EngineMoveToSchedulerTest, StrictMoveUndoesItselfWhenTheTaskChanged) {
  TempDir dir;
  QueueOptions o;
  o.state_dir = dir.path();
  auto engine = Engine::Open(o);
  ASSERT_TQ_OK(engine);
  auto queued = (*engine)->Enqueue({"noop a"}, {});
  ASSERT_TQ_OK(queued);
  const int64_t id = (*queued)[0].id;
  Task stale;
  ASSERT_TQ_OK((*engine)->store().WithQueue(false, [&](state::QueueTxn& txn) {
    stale = *txn.Get(id);
    return Status::OK();
  }));
  auto claimed = (*engine)->ClaimNext({});
  ASSERT_TQ_OK(claimed);
  ASSERT_TRUE(claimed->has_value());

  Status st = (*engine)->MoveToScheduler(stale, (*engine)->Now(), TaskState::kWaiting, "schedule",
                                         "{}", /*strict=*/true);
  EXPECT_EQ(st.code(), Status::Code::kAborted) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("processing now"));
  int64_t scheduled = -1;
  ASSERT_TQ_OK((*engine)->store().WithSched(false, [&](state::SchedTxn& txn) {
    scheduled = txn.Count(std::nullopt, "");
    return Status::OK();
  }));
  EXPECT_EQ(scheduled, 0);
  std::optional<Task> still;
  ASSERT_TQ_OK((*engine)->store().WithQueue(false, [&](state::QueueTxn& txn) {
    still = txn.Get(id);
    return Status::OK();
  }));
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->state, TaskState::kProcessing);
}

}  // namespace
}  // namespace taskqueue
