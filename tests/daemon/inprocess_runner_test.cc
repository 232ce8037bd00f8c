// InProcessRunner: in-process work runs on a worker thread whose ending the
// main loop learns from the runner's fd, except work whose processor says it
// cannot hang (RunsInline), which runs on the loop's own thread at once.
// Either way an exception becomes a failure naming it.
#include "inprocess_runner.h"

#include <poll.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fakes/test_processors.h"
#include "fakes/test_util.h"

namespace taskqueue::daemon {
namespace {

using ::taskqueue::testing::TempDir;
using ::taskqueue::testing::ThreadRecordingProcessor;

class InProcessRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    QueueOptions options;
    options.state_dir = dir_.path();
    options.durability = Durability::kNormal;
    auto queue = Queue::Open(options);
    ASSERT_TQ_OK(queue);
    queue_ = std::shared_ptr<Queue>(std::move(queue).value());
    auto runner = InProcessRunner::Create(queue_);
    ASSERT_TQ_OK(runner);
    runner_ = std::move(runner).value();
  }
  static Task MakeTask(int64_t id, const std::string& command) {
    Task task;
    task.id = id;
    task.command = command;
    return task;
  }

  TempDir dir_;
  std::shared_ptr<Queue> queue_;
  std::unique_ptr<InProcessRunner> runner_;
};

TEST_F(InProcessRunnerTest, InlineWorkRunsOnTheCallersThreadAndEndsAtOnce) {
  ThreadRecordingProcessor processor(/*runs_inline=*/true, /*throws=*/false);
  const FinishedRun run = runner_->RunInline(MakeTask(4, "quick"), processor);
  EXPECT_EQ(processor.ran_on(), std::this_thread::get_id());
  EXPECT_EQ(run.task_id, 4);
  EXPECT_EQ(run.pid, 0);
  EXPECT_EQ(run.label, "task 4 (quick)");
  EXPECT_EQ(run.outcome.kind, RunOutcome::Kind::kSuccess);
  EXPECT_EQ(run.outcome.result, "ran quick");
  // Nothing is left running, and nothing is reported twice through fd().
  EXPECT_TRUE(runner_->empty());
  EXPECT_TRUE(runner_->Collect().empty());
}

TEST_F(InProcessRunnerTest, InlineWorkThatThrowsFailsWithTheExceptionsMessage) {
  ThreadRecordingProcessor processor(/*runs_inline=*/true, /*throws=*/true);
  const FinishedRun run = runner_->RunInline(MakeTask(5, "quick"), processor);
  EXPECT_EQ(run.outcome.kind, RunOutcome::Kind::kFailure);
  EXPECT_EQ(run.outcome.error, "processor threw: boom");
}

TEST_F(InProcessRunnerTest, OtherWorkRunsOnAWorkerAndIsCollectedWhenTheFdIsReadable) {
  auto processor = std::make_shared<ThreadRecordingProcessor>(/*runs_inline=*/false, false);
  runner_->Start(MakeTask(6, "slowish"), processor, /*timeout_seconds=*/60);
  EXPECT_EQ(runner_->size(), 1u);
  std::vector<FinishedRun> ended;
  while (ended.empty()) {
    pollfd readable{runner_->fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&readable, 1, 30'000), 1) << "the worker never reported";
    ended = runner_->Collect();
  }
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].task_id, 6);
  EXPECT_EQ(ended[0].outcome.kind, RunOutcome::Kind::kSuccess);
  EXPECT_EQ(ended[0].outcome.result, "ran slowish");
  EXPECT_NE(processor->ran_on(), std::this_thread::get_id());
  EXPECT_TRUE(runner_->empty());
}

}  // namespace
}  // namespace taskqueue::daemon
