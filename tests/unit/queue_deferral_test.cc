// The Perl original's deferral cases (cpanel-taskqueue.md §4.2, cases
// 35-39): a task whose deferral tags are held by a running task waits in
// the deferred state and comes back, in its original order, when the tags
// are released. The processor `test` runs a child that blocks on a flag file
// and whose deferral tags are its args. Case 40 (the hook itself) is in
// processor_test.cc.
//
// SPEC differs in how deferred tasks are listed: the original kept its
// deferral list newest-first ([c a, b a, a d]); here TasksInState lists them
// in run order ([a d, b a, c a]). The sets and the order they run in again
// are the original's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fakes/test_processors.h"
#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::FlagChildProcessor;
using ::taskqueue::testing::FullCommands;
using ::taskqueue::testing::TempDir;
using ::taskqueue::testing::WaitForTaskChildExit;
using ::testing::ElementsAre;

class QueueDeferralTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_ = std::make_shared<FlagChildProcessor>(
        FlagChildProcessor::Config{.flag_dir = dir_.path(), .tags_from_args = true});
    ASSERT_TQ_OK(registry_->Register("test", test_));
    QueueOptions o;
    o.state_dir = dir_.path() / "state";
    o.registry = registry_;
    auto q = Queue::Open(o);
    ASSERT_TQ_OK(q);
    q_ = std::move(q).value();
  }
  void TearDown() override {
    if (q_ == nullptr) return;
    test_->ReleaseAll();
    EXPECT_TQ_OK(q_->FinishAllProcessing());
  }

  int64_t Enqueue(const std::string& command) {
    auto r = q_->QueueTask(command);
    EXPECT_TRUE(r.ok() && !r->duplicate) << command << ": " << r.status().ToString();
    return r.ok() ? r->id : 0;
  }
  void Process() {
    auto r = q_->ProcessNextTask();
    ASSERT_TQ_OK(r);
  }
  // Lets the child of `id` end and waits until it has exited.
  void EndChild(int64_t id) {
    test_->Release(id);
    ASSERT_TRUE(WaitForTaskChildExit(*q_, id)) << "child of task " << id << " did not exit";
  }
  // waiting / deferred / processing.
  std::vector<int64_t> Counts() {
    auto c = q_->Counts();
    EXPECT_TQ_OK(c);
    return {c->waiting, c->deferred, c->processing};
  }
  std::vector<std::string> Deferred() {
    return FullCommands(*q_->TasksInState(TaskState::kDeferred));
  }

  TempDir dir_;
  std::shared_ptr<ProcessorRegistry> registry_ = std::make_shared<ProcessorRegistry>();
  std::shared_ptr<FlagChildProcessor> test_;
  std::unique_ptr<Queue> q_;
};

// Case 35: tasks with disjoint (or no) tags run side by side.
TEST_F(QueueDeferralTest, Case35DisjointTagsDoNotDefer) {
  for (const char* t : {"test", "test a", "test b", "test c"}) Enqueue(t);
  Process();
  Process();
  EXPECT_THAT(Counts(), ElementsAre(2, 0, 2));
}

// Case 36.
TEST_F(QueueDeferralTest, Case36DeferredTasksComeBackInOrder) {
  const int64_t a = Enqueue("test a");
  const int64_t ad = Enqueue("test a d");
  Enqueue("test b a");
  Enqueue("test c a");

  Process();  // (1) starts 'test a'
  EXPECT_THAT(Counts(), ElementsAre(3, 0, 1));

  Process();  // (2) every other task holds tag a: all deferred, none starts
  EXPECT_THAT(Counts(), ElementsAre(0, 3, 1));
  EXPECT_THAT(Deferred(), ElementsAre("test a d", "test b a", "test c a"));

  EndChild(a);  // (3) tag a released: 'test a d' runs next
  Process();
  EXPECT_THAT(Counts(), ElementsAre(2, 0, 1));
  EXPECT_EQ((*q_->FindTask(ad))->state, TaskState::kProcessing);

  Process();  // (4) 'test a d' holds a again
  EXPECT_THAT(Counts(), ElementsAre(0, 2, 1));
  EXPECT_THAT(Deferred(), ElementsAre("test b a", "test c a"));
}

// Case 37: a deferred task does not stop a later task with free tags.
TEST_F(QueueDeferralTest, Case37LaterTaskWithFreeTagsRuns) {
  Enqueue("test a");
  Enqueue("test a d");
  Enqueue("test b a");
  const int64_t cd = Enqueue("test c d");
  Process();
  Process();
  EXPECT_THAT(Deferred(), ElementsAre("test a d", "test b a"));
  EXPECT_THAT(Counts(), ElementsAre(0, 2, 2));
  EXPECT_EQ((*q_->FindTask(cd))->state, TaskState::kProcessing);
}

// Case 38: two tasks sharing the tag 'wait' run one after the other.
TEST_F(QueueDeferralTest, Case38SharedTagSerializes) {
  const int64_t first = Enqueue("test wait 1");
  const int64_t second = Enqueue("test wait 2");
  Process();
  Process();
  EXPECT_THAT(Counts(), ElementsAre(0, 1, 1));  // (1)

  EndChild(first);  // (2)
  Process();
  EXPECT_THAT(Counts(), ElementsAre(0, 0, 1));
  EXPECT_EQ((*q_->FindTask(second))->state, TaskState::kProcessing);

  EndChild(second);  // (3)
  Process();
  EXPECT_THAT(Counts(), ElementsAre(0, 0, 0));
  EXPECT_EQ(q_->Counts()->complete, 2);
}

// Case 39. SPEC differs: a deferred task can be unqueued (the original's
// unqueue looked at waiting tasks only and returned false).
TEST_F(QueueDeferralTest, Case39DeferredTaskIsFoundAndCanBeUnqueued) {
  Enqueue("test x");
  const int64_t deferred = Enqueue("test x y");
  Process();
  Process();
  auto t = q_->FindTask(deferred);
  ASSERT_TQ_OK(t);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->state, TaskState::kDeferred);  // is_task_deferred, not queued
  EXPECT_EQ((*q_->FindCommands("test")).size(), 2u);

  // SPEC: dupes are checked against deferred tasks too.
  auto dupe = q_->QueueTask("test x y");
  ASSERT_TQ_OK(dupe);
  EXPECT_TRUE(dupe->duplicate);

  EXPECT_TRUE(*q_->UnqueueTask(deferred));
  EXPECT_FALSE(q_->FindTask(deferred)->has_value());
  EXPECT_THAT(Counts(), ElementsAre(0, 0, 1));
}

// The default processor has no tags, so it is never deferred, whatever runs.
TEST_F(QueueDeferralTest, Case40NoopIsNeverDeferred) {
  Enqueue("test a");
  Process();
  auto n = q_->QueueTask("noop a");
  ASSERT_TQ_OK(n);
  Process();
  EXPECT_EQ((*q_->FindTask(n->id))->state, TaskState::kComplete);
  EXPECT_EQ(q_->Counts()->deferred, 0);
}

}  // namespace
}  // namespace taskqueue
