// Declarative processors driving a real Queue: overrides in the original's
// order (cases 16-17), dupes across dupe_commands, invalid args never queued,
// deferral through tag templates, and per-command defaults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fakes/test_util.h"
#include "taskqueue/plugin.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

namespace taskqueue {
namespace {

namespace fs = std::filesystem;
using ::taskqueue::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPlugins[] = R"({ "processors": [
  { "command": "mock", "exec": ["/bin/true", "{args}"],
    "overrides": [ { "when_arg": { "0": "all" } }, { "match_args": [0] } ] },
  { "command": "notify", "exec": ["/bin/true", "{args}"], "min_args": 2, "max_args": 2,
    "arg_pattern": "^[-\\w ]+$", "dupe_commands": ["email"] },
  { "command": "email", "exec": ["/bin/true", "{args}"], "min_args": 2, "max_args": 2,
    "dupe_commands": ["notify"] },
  { "command": "lock", "exec": ["/bin/true", "{args}"], "deferral_tags": ["res:{0}"] },
  { "command": "policy", "exec": ["/bin/true"], "attempts": 3, "backoff": "fixed:7",
    "remove_on_complete": true }
] })";

class PluginQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path plugins = dir_.path() / "plugins";
    fs::create_directory(plugins);
    ::chmod(plugins.c_str(), 0755);
    std::ofstream(plugins / "test.json") << kPlugins;
    ::chmod((plugins / "test.json").c_str(), 0644);
    PluginManager manager(registry_, {{plugins, PluginDirectory::Origin::kCommandLine}});
    ASSERT_TQ_OK(manager.LoadAll());

    QueueOptions options;
    options.state_dir = dir_.path() / "state";
    options.registry = registry_;
    options.max_running = 5;
    Result<std::unique_ptr<Queue>> q = Queue::Open(options);
    ASSERT_TQ_OK(q);
    queue_ = std::move(*q);
  }

  std::string Queue1(const std::string& command) {
    // QueueTask reports a refused task as its error; QueueTasks per item.
    Result<EnqueueOutcome> r = queue_->QueueTask(command);
    if (!r.ok()) return "refused: " + r.status().message();
    if (!r->status.ok()) return "refused: " + r->status.message();
    return r->duplicate ? "duplicate" : "queued";
  }

  std::vector<std::string> Waiting() {
    std::vector<std::string> out;
    Result<std::vector<Task>> tasks = queue_->TasksInState(TaskState::kWaiting);
    EXPECT_TRUE(tasks.ok()) << tasks.status().ToString();
    if (!tasks.ok()) return out;
    for (const Task& t : *tasks) out.push_back(t.full_command());
    return out;
  }

  TempDir dir_;
  std::shared_ptr<ProcessorRegistry> registry_ = std::make_shared<ProcessorRegistry>();
  std::unique_ptr<Queue> queue_;
};

// Cases 16 and 17 of the original, with the rule written as JSON.
TEST_F(PluginQueueTest, OverridesRemoveTheRightWaitingTasksInOrder) {
  EXPECT_EQ(Queue1("mock 1 on"), "queued");
  EXPECT_EQ(Queue1("mock 2 on"), "queued");
  EXPECT_EQ(Queue1("mock 3 on"), "queued");
  EXPECT_EQ(Queue1("mock all off"), "queued");
  EXPECT_THAT(Waiting(), ElementsAre("mock all off"));

  EXPECT_EQ(Queue1("mock 1 on"), "queued");
  EXPECT_EQ(Queue1("mock 2 on"), "queued");
  EXPECT_EQ(Queue1("mock 3 on"), "queued");
  EXPECT_EQ(Queue1("mock 2 off"), "queued");
  EXPECT_THAT(Waiting(), ElementsAre("mock all off", "mock 1 on", "mock 3 on", "mock 2 off"));

  // Case 17: the override runs before the dupe check.
  EXPECT_EQ(Queue1("mock all off"), "queued");
  EXPECT_THAT(Waiting(), ElementsAre("mock all off"));
}

TEST_F(PluginQueueTest, DupesAcrossDupeCommands) {
  EXPECT_EQ(Queue1("email fred 'hi there'"), "queued");
  EXPECT_EQ(Queue1("notify fred 'hi there'"), "duplicate");
  EXPECT_EQ(Queue1("notify  fred  \"hi there\""), "duplicate");
  EXPECT_EQ(Queue1("notify fred bye"), "queued");
  EXPECT_EQ(Queue1("email fred bye"), "duplicate");
  EXPECT_THAT(Waiting(), ElementsAre("email fred 'hi there'", "notify fred bye"));
}

TEST_F(PluginQueueTest, InvalidArgsAreRefusedAndNeverQueued) {
  Result<std::vector<EnqueueOutcome>> batch =
      queue_->QueueTasks({"notify a b", "notify a 'b;c'", "notify x y"});
  ASSERT_TQ_OK(batch);
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_TRUE((*batch)[0].status.ok());
  EXPECT_TRUE((*batch)[1].status.IsInvalidArgument());
  EXPECT_TRUE((*batch)[2].status.ok());
  ASSERT_TQ_OK(queue_->DeleteAllUnprocessedTasks());

  EXPECT_EQ(Queue1("notify fred 'semi;colon'"),
            "refused: Requested command [notify fred 'semi;colon'] has invalid arguments.");
  EXPECT_EQ(Queue1("notify fred"),
            "refused: Requested command [notify fred] has invalid arguments.");
  EXPECT_THAT(Waiting(), ElementsAre());
  Result<QueueCounts> counts = queue_->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->total(), 0);
}

TEST_F(PluginQueueTest, DeferralThroughTagTemplates) {
  ASSERT_EQ(Queue1("lock a 1"), "queued");
  ASSERT_EQ(Queue1("lock a 2"), "queued");
  ASSERT_EQ(Queue1("lock b 1"), "queued");
  Result<std::optional<Task>> first = queue_->ClaimNext();
  ASSERT_TQ_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->full_command(), "lock a 1");
  Result<std::optional<Task>> second = queue_->ClaimNext();
  ASSERT_TQ_OK(second);
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->full_command(), "lock b 1");  // "lock a 2" waits for res:a
  Result<std::optional<Task>> none = queue_->ClaimNext();
  ASSERT_TQ_OK(none);
  EXPECT_FALSE(none->has_value());
  Result<QueueCounts> counts = queue_->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->deferred, 1);

  ASSERT_TQ_OK(queue_->FinishTask((*first)->id, RunOutcome{}));
  Result<std::optional<Task>> third = queue_->ClaimNext();
  ASSERT_TQ_OK(third);
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ((*third)->full_command(), "lock a 2");
}

TEST_F(PluginQueueTest, ProcessorDefaultsApplyAtEnqueue) {
  Result<EnqueueOutcome> r = queue_->QueueTask("policy");
  ASSERT_TQ_OK(r);
  ASSERT_TQ_OK(r->status);
  Result<std::optional<Task>> t = queue_->FindTask(r->id);
  ASSERT_TQ_OK(t);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->attempts_max, 3);
  EXPECT_EQ((*t)->backoff.ToString(), "fixed:7");
  EXPECT_TRUE((*t)->remove_on_complete);

  TaskOptions explicit_options;
  explicit_options.attempts = 1;
  Result<EnqueueOutcome> r2 = queue_->QueueTask("policy x", explicit_options);
  ASSERT_TQ_OK(r2);
  Result<std::optional<Task>> t2 = queue_->FindTask(r2->id);
  ASSERT_TQ_OK(t2);
  ASSERT_TRUE(t2->has_value());
  EXPECT_EQ((*t2)->attempts_max, 1);  // what the queuer asked wins
}

// SPEC §4.2: a daemon whose plugin file fails to load runs on with the
// others. The failed file's tasks wait for it to be mended (claims pass them
// over, and due scheduled ones join the queue): failing them would throw
// away a whole backlog over a stray comma. A command defined nowhere is
// still failed, so that it cannot block the queue.
TEST_F(PluginQueueTest, TasksOfAPluginThatFailsToLoadWaitForItsRepair) {
  ASSERT_EQ(Queue1("notify fred hello"), "queued");
  ASSERT_EQ(Queue1("mock x"), "queued");
  ASSERT_EQ(Queue1("noop after"), "queued");
  std::unique_ptr<Scheduler> scheduler = Scheduler::ForQueue(*queue_);
  ScheduleOptions now;
  now.delay_seconds = 0;
  ASSERT_TQ_OK(scheduler->ScheduleTask("mock later", now));

  // The same queue, opened by a process whose copy of the file has a stray
  // comma.
  fs::path broken = dir_.path() / "broken";
  fs::create_directory(broken);
  ::chmod(broken.c_str(), 0755);
  std::string text = kPlugins;
  text.insert(text.rfind(']'), ",");
  std::ofstream(broken / "test.json") << text;
  ::chmod((broken / "test.json").c_str(), 0644);
  auto registry = std::make_shared<ProcessorRegistry>();
  PluginManager manager(registry, {{broken, PluginDirectory::Origin::kCommandLine}});
  ASSERT_TRUE(manager.LoadAll().IsConfig());
  QueueOptions options;
  options.state_dir = dir_.path() / "state";
  options.registry = registry;
  Result<std::unique_ptr<Queue>> other = Queue::Open(options);
  ASSERT_TQ_OK(other);
  std::unique_ptr<Scheduler> other_scheduler = Scheduler::ForQueue(**other);

  Result<int64_t> moved = other_scheduler->ProcessReadyTasks(**other);
  ASSERT_TQ_OK(moved);
  EXPECT_EQ(*moved, 1);
  Result<std::optional<Task>> claimed = (*other)->ClaimNext();
  ASSERT_TQ_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  EXPECT_EQ((*claimed)->full_command(), "noop after");  // not blocked behind them
  ASSERT_TQ_OK((*other)->FinishTask((*claimed)->id, RunOutcome{}));
  Result<std::optional<Task>> none = (*other)->ClaimNext();
  ASSERT_TQ_OK(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_THAT(Waiting(), ElementsAre("notify fred hello", "mock x", "mock later"));
  // Nothing this process could start: a `while (HasWorkToDo())` loop ends.
  EXPECT_THAT(registry->FailedCommands(), ::testing::Contains("mock"));
  Result<bool> work = (*other)->HasWorkToDo();
  ASSERT_TQ_OK(work);
  EXPECT_FALSE(*work);
  work = queue_->HasWorkToDo();
  ASSERT_TQ_OK(work);
  EXPECT_TRUE(*work);

  // Mended: the process with the good file runs them, in order.
  for (const char* expected : {"notify fred hello", "mock x", "mock later"}) {
    Result<std::optional<Task>> next = queue_->ClaimNext();
    ASSERT_TQ_OK(next);
    ASSERT_TRUE(next->has_value()) << expected;
    EXPECT_EQ((*next)->full_command(), expected);
  }
}

}  // namespace
}  // namespace taskqueue
