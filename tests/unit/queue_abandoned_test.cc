// A processing task whose runner (the process that claimed it) can no
// longer finish it, and that has no live child, is settled as lost by the
// next claim instead of staying "processing" for ever: the runner has exited,
// is a zombie nobody reaped, or claimed it in an earlier boot (its pid may
// now belong to anything).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fakes/fork_util.h"
#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ForkChild;
using ::taskqueue::testing::TempDir;
using ::taskqueue::testing::WaitExit;

class QueueAbandonedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    QueueOptions options;
    options.state_dir = dir_.path();
    options.durability = Durability::kNormal;
    auto q = Queue::Open(options);
    ASSERT_TQ_OK(q);
    q_ = std::move(q).value();
  }

  int64_t Enqueue(const std::string& command) {
    auto r = q_->QueueTask(command);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : 0;
  }

  // Claims the next task as if `runner` had claimed it.
  int64_t ClaimAs(pid_t runner) {
    ClaimOptions options;
    options.runner_pid = runner;
    auto t = q_->ClaimNext(options);
    EXPECT_TRUE(t.ok() && t->has_value()) << (t.ok() ? "nothing claimed" : t.status().ToString());
    return t.ok() && t->has_value() ? (*t)->id : 0;
  }

  TaskState StateOf(int64_t id) {
    auto t = q_->FindTask(id);
    EXPECT_TRUE(t.ok() && t->has_value());
    return t.ok() && t->has_value() ? (*t)->state : TaskState::kWaiting;
  }

  TempDir dir_;
  std::unique_ptr<Queue> q_;
};

TEST_F(QueueAbandonedTest, AZombieRunnerIsNotAlive) {
  const int64_t first = Enqueue("noop first");
  const int64_t second = Enqueue("noop second");
  const pid_t zombie = ForkChild([] { return 0; });
  // Not reaped until the end: the runner stays a zombie meanwhile.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT), 0);
  ASSERT_EQ(ClaimAs(zombie), first);

  EXPECT_EQ(ClaimAs(::getpid()), second);
  EXPECT_NE(StateOf(first), TaskState::kProcessing);
  auto t = q_->FindTask(first);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_NE((*t)->error.find("is gone"), std::string::npos) << (*t)->error;
  EXPECT_EQ(WaitExit(zombie), 0);
}

TEST_F(QueueAbandonedTest, ARunnerFromAnEarlierBootIsNotAlive) {
  const int64_t first = Enqueue("noop first");
  const int64_t second = Enqueue("noop second");
  // Claimed by a live process (our parent), but recorded in another boot.
  ASSERT_EQ(ClaimAs(::getppid()), first);
  ASSERT_TQ_OK(q_->SetTaskProcess(first, 0, 0, "another-boot"));

  EXPECT_EQ(ClaimAs(::getpid()), second);
  EXPECT_NE(StateOf(first), TaskState::kProcessing);
}

TEST_F(QueueAbandonedTest, ALiveRunnerOfThisBootKeepsItsTask) {
  const int64_t first = Enqueue("noop first");
  const int64_t second = Enqueue("noop second");
  ASSERT_EQ(ClaimAs(::getppid()), first);

  EXPECT_EQ(ClaimAs(::getpid()), second);
  EXPECT_EQ(StateOf(first), TaskState::kProcessing);
}

}  // namespace
}  // namespace taskqueue
