// Rewriting a task's row: every update writes each field a run may change,
// a field that is now empty included. The store runs one prepared UPDATE for
// every task and keeps its bindings between runs (state/sqlite_util.h,
// StatementCache::GetToRebind), so a field left unbound would carry the last
// task's value into the next one.
#include <gtest/gtest.h>

#include <string>

#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::TempDir;

TEST(QueueRowUpdateTest, AClaimAfterAFailureCarriesNothingOfTheFailedTask) {
  TempDir dir;
  QueueOptions o;  // noop is built in
  o.state_dir = dir.path() / "state";
  o.max_running = 1;
  auto queue = Queue::Open(o);
  ASSERT_TQ_OK(queue);
  TaskOptions one_attempt;
  one_attempt.attempts = 1;
  auto failing = (*queue)->QueueTask("noop first", one_attempt);
  auto next = (*queue)->QueueTask("noop second", one_attempt);
  ASSERT_TQ_OK(failing);
  ASSERT_TQ_OK(next);

  auto claimed = (*queue)->ClaimNext();
  ASSERT_TQ_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  ASSERT_EQ((*claimed)->id, failing->id);
  RunOutcome outcome;
  outcome.kind = RunOutcome::Kind::kFailure;
  outcome.exit_status = 3;
  outcome.error = "exited with status 3";
  outcome.result = "partial output";
  ASSERT_TQ_OK((*queue)->FinishTask(failing->id, outcome));

  claimed = (*queue)->ClaimNext();
  ASSERT_TQ_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  ASSERT_EQ((*claimed)->id, next->id);

  auto failed = (*queue)->FindTask(failing->id);
  auto running = (*queue)->FindTask(next->id);
  ASSERT_TQ_OK(failed);
  ASSERT_TQ_OK(running);
  ASSERT_TRUE(failed->has_value());
  ASSERT_TRUE(running->has_value());
  EXPECT_EQ((*failed)->state, TaskState::kFailed);
  EXPECT_EQ((*failed)->exit_status, 3);
  EXPECT_EQ((*failed)->error, "exited with status 3");
  EXPECT_TRUE((*failed)->finished_at.has_value());

  EXPECT_EQ((*running)->state, TaskState::kProcessing);
  EXPECT_EQ((*running)->full_command(), "noop second");
  EXPECT_FALSE((*running)->exit_status.has_value());
  EXPECT_FALSE((*running)->finished_at.has_value());
  EXPECT_EQ((*running)->error, "");
  EXPECT_EQ((*running)->result, "");
  EXPECT_EQ((*running)->attempts_made, 1);
}

}  // namespace
}  // namespace taskqueue
