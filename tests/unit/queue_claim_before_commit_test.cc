// A supervisor may start claimed tasks before the claim's commit
// (ClaimOptions::start_before_commit), and claim again, at restart, a task
// whose run started under a claim that was never committed
// (Queue::ClaimStarted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "fakes/kue_fixture.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::KueFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class QueueClaimBeforeCommitTest : public KueFixture {
 protected:
  void SetUp() override { Register("job"); }
};

TEST_F(QueueClaimBeforeCommitTest, StartBeforeCommitSeesTheClaimsBeforeAnyoneElseDoes) {
  auto q = OpenKue();
  auto other = OpenKue();  // another connection, as another process has
  const int64_t a = Enqueue(*q, "job a");
  const int64_t b = Enqueue(*q, "job b");
  std::vector<int64_t> started;
  std::vector<TaskState> seen_by_other;
  ClaimOptions claim;
  claim.start_before_commit = [&](const std::vector<Task>& tasks) {
    for (const auto& t : tasks) {
      EXPECT_EQ(t.state, TaskState::kProcessing);
      EXPECT_EQ(t.attempts_made, 1);
      started.push_back(t.id);
      // Not committed yet: everyone else still sees the task waiting.
      auto seen = other->FindTask(t.id);
      ASSERT_TQ_OK(seen);
      seen_by_other.push_back((*seen)->state);
    }
  };
  auto claimed = q->FinishAndClaim({}, claim, 2);
  ASSERT_TQ_OK(claimed);
  EXPECT_THAT(Ids(*claimed), ElementsAre(a, b));
  EXPECT_THAT(started, ElementsAre(a, b));
  EXPECT_THAT(seen_by_other, ElementsAre(TaskState::kWaiting, TaskState::kWaiting));
  EXPECT_EQ((*other->FindTask(a))->state, TaskState::kProcessing);
}

TEST_F(QueueClaimBeforeCommitTest, AFailureBeforeTheCommitRollsTheClaimsBack) {
  auto q = OpenKue();
  const int64_t id = Enqueue(*q, "job a");
  const int64_t events_before = LastEventId(*q);
  ClaimOptions claim;
  claim.start_before_commit = [](const std::vector<Task>&) {
    throw std::runtime_error("cannot start anything");
  };
  auto claimed = q->FinishAndClaim({}, claim, 1);
  ASSERT_FALSE(claimed.ok());
  EXPECT_THAT(claimed.status().message(), HasSubstr("cannot start anything"));
  const Task t = **q->FindTask(id);
  EXPECT_EQ(t.state, TaskState::kWaiting);
  EXPECT_EQ(t.attempts_made, 0);
  EXPECT_EQ(LastEventId(*q), events_before) << "no start event was kept";
  // The task is claimed normally afterwards.
  EXPECT_EQ(Claim(*q), id);
}

TEST_F(QueueClaimBeforeCommitTest, StartBeforeCommitIsNotCalledWhenNothingIsClaimed) {
  auto q = OpenKue();
  bool called = false;
  ClaimOptions claim;
  claim.start_before_commit = [&](const std::vector<Task>&) { called = true; };
  auto claimed = q->FinishAndClaim({}, claim, 1);
  ASSERT_TQ_OK(claimed);
  EXPECT_TRUE(claimed->empty());
  EXPECT_FALSE(called);
}

TEST_F(QueueClaimBeforeCommitTest, ClaimStartedClaimsTheTaskAsTheLostClaimFoundIt) {
  auto q = OpenKue();
  const int64_t first = Enqueue(*q, "job b");
  const int64_t id = Enqueue(*q, "job a");
  const Task waiting = **q->FindTask(id);
  // Neither a full queue nor a pause stops it: the run has started already.
  ASSERT_TQ_OK(q->SetSetting("max_running", "1"));
  ASSERT_EQ(Claim(*q), first);
  ASSERT_TQ_OK(q->Pause());

  auto claimed = q->ClaimStarted(id, waiting.seq, waiting.attempts_made);
  ASSERT_TQ_OK(claimed);
  EXPECT_EQ(claimed->state, TaskState::kProcessing);
  EXPECT_EQ(claimed->attempts_made, 1);
  const Task stored = **q->FindTask(id);
  EXPECT_EQ(stored.state, TaskState::kProcessing);
  EXPECT_EQ(stored.attempts_made, 1);
  EXPECT_EQ(stored.runner_pid, ::getpid());
  EXPECT_THAT(Describe(EventsSince(*q, 0)), ::testing::Contains("start:" + std::to_string(id)));
}

TEST_F(QueueClaimBeforeCommitTest, ClaimStartedRefusesATaskThatMovedOn) {
  auto q = OpenKue();
  const int64_t id = Enqueue(*q, "job a");
  const Task waiting = **q->FindTask(id);
  // Another seq: the note was of an earlier time the task waited.
  auto other_seq = q->ClaimStarted(id, waiting.seq + 1, waiting.attempts_made);
  EXPECT_EQ(other_seq.status().code(), Status::Code::kNotFound);
  // Another attempt count: the same.
  auto other_attempt = q->ClaimStarted(id, waiting.seq, waiting.attempts_made + 1);
  EXPECT_EQ(other_attempt.status().code(), Status::Code::kNotFound);
  // No longer waiting: claimed (and committed) meanwhile.
  ASSERT_EQ(Claim(*q), id);
  auto running = q->ClaimStarted(id, waiting.seq, waiting.attempts_made);
  EXPECT_EQ(running.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(running.status().message(), HasSubstr("not waiting"));
  auto unknown = q->ClaimStarted(999, 1, 0);
  EXPECT_EQ(unknown.status().code(), Status::Code::kNotFound);
  EXPECT_EQ((*q->FindTask(id))->attempts_made, 1);
}

}  // namespace
}  // namespace taskqueue
