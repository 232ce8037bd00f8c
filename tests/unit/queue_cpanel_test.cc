// The Perl original's queue cases (cpanel-taskqueue.md §4.2, cases 1-8,
// 23-24, 32-34 and 55) ported to the library: opening and settings, queueing
// and unqueueing, inspection, pause and persistence. The enqueue hooks
// (cases 9-22) are in queue_enqueue_cpanel_test.cc. Where SPEC.md
// deliberately differs, the test says which rule and why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "fakes/queue_fixture.h"
#include "fakes/test_processors.h"
#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::FlagChildProcessor;
using ::taskqueue::testing::FullCommands;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class QueueCpanelTest : public ::taskqueue::testing::QueueFixture {};

// Case 1.
TEST_F(QueueCpanelTest, Case01OpenWithoutStateDirOrNameFails) {
  QueueOptions no_dir;
  auto a = Queue::Open(no_dir);
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(a.status().IsInvalidArgument());
  EXPECT_EQ(a.status().message(), "No state directory supplied.");

  QueueOptions no_name = Options();
  no_name.name = "";
  auto b = Queue::Open(no_name);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "No queue name supplied.");
}

// Case 2. SPEC §2: the file is <name>_queue.db (SQLite), not _queue.stor.
TEST_F(QueueCpanelTest, Case02MissingDirIsCreated0700WithTheQueueFile) {
  QueueOptions o = Options();
  o.state_dir = dir_.path() / "a" / "b";
  auto q = Open(o);
  ASSERT_NE(q, nullptr);
  struct stat st;
  ASSERT_EQ(stat(o.state_dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(o.state_dir / "tasks_queue.db"));
  EXPECT_EQ(q->queue_file(), o.state_dir / "tasks_queue.db");
}

// SPEC §2 differs from the original, which chmod'ed an existing dir to 0700.
TEST_F(QueueCpanelTest, Case02ExistingDirIsNotChmoded) {
  QueueOptions o = Options();
  std::filesystem::create_directories(o.state_dir);
  chmod(o.state_dir.c_str(), 0750);
  ASSERT_NE(Open(o), nullptr);
  struct stat st;
  ASSERT_EQ(stat(o.state_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
}

// Case 3.
TEST_F(QueueCpanelTest, Case03FreshQueueHasDefaults) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  auto s = q->Settings();
  ASSERT_TQ_OK(s);
  EXPECT_EQ(s->default_timeout, 60);
  EXPECT_EQ(s->max_timeout, 300);
  EXPECT_EQ(s->max_running, 2);
  EXPECT_EQ(s->default_child_timeout, 3600);
  EXPECT_FALSE(*q->IsPaused());
  EXPECT_EQ(q->Counts()->total(), 0);
  EXPECT_EQ(q->name(), "tasks");
}

// Cases 4 and 5: settings given when opening are stored and seen by others.
TEST_F(QueueCpanelTest, Case04And05SettingsAreStoredAndShared) {
  QueueOptions o1 = Options();
  o1.default_timeout = 31;
  o1.max_timeout = 61;
  o1.max_running = 7;
  o1.default_child_timeout = 117;
  auto q1 = Open(o1);
  ASSERT_NE(q1, nullptr);

  auto q2 = Open();  // no settings given: the stored ones
  ASSERT_NE(q2, nullptr);
  auto s2 = q2->Settings();
  ASSERT_TQ_OK(s2);
  EXPECT_EQ(s2->default_timeout, 31);
  EXPECT_EQ(s2->max_timeout, 61);
  EXPECT_EQ(s2->max_running, 7);
  EXPECT_EQ(s2->default_child_timeout, 117);

  QueueOptions o3 = Options();
  o3.default_timeout = 13;
  o3.max_timeout = 16;
  o3.max_running = 17;
  o3.default_child_timeout = 742;
  auto q3 = Open(o3);
  ASSERT_NE(q3, nullptr);
  for (Queue* q : {q3.get(), q1.get()}) {  // Q1 sees them at its next read
    auto s = q->Settings();
    ASSERT_TQ_OK(s);
    EXPECT_EQ(s->default_timeout, 13);
    EXPECT_EQ(s->max_timeout, 16);
    EXPECT_EQ(s->max_running, 17);
    EXPECT_EQ(s->default_child_timeout, 742);
  }
}

// Cases 6 and 7.
TEST_F(QueueCpanelTest, Case06And07QueueTaskGivesUuidsAndKeepsOrder) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  auto first = q->QueueTask("noop 1 2 3");
  ASSERT_TQ_OK(first);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->uuid, "TQ:TaskQueue:1");
  EXPECT_EQ(first->id, 1);
  auto found = q->FindTask(first->id);
  ASSERT_TQ_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->state, TaskState::kWaiting);  // is_task_queued
  EXPECT_TRUE(*q->HasWorkToDo());

  auto second = q->QueueTask("noop a  b  c");
  ASSERT_TQ_OK(second);
  EXPECT_NE(second->uuid, first->uuid);
  EXPECT_EQ(Waiting(*q), 2);
  auto waiting = q->TasksInState(TaskState::kWaiting);
  ASSERT_TQ_OK(waiting);
  EXPECT_THAT(FullCommands(*waiting), ElementsAre("noop 1 2 3", "noop a  b  c"));
}

// Case 8.
TEST_F(QueueCpanelTest, Case08UnqueueOnce) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  auto u1 = q->QueueTask("noop 1 2 3");
  ASSERT_TQ_OK(u1);
  ASSERT_TQ_OK(q->QueueTask("noop a b c"));
  EXPECT_TRUE(*q->UnqueueTask(u1->id));
  EXPECT_FALSE(*q->UnqueueTask(u1->id));
  EXPECT_EQ(Waiting(*q), 1);
}

// Case 23: find_command matches the exact command name.
TEST_F(QueueCpanelTest, Case23FindCommandIsExact) {
  ASSERT_TQ_OK(registry_->RegisterFunction(
      "helloworld", [](TaskContext&) { return Result<std::string>(std::string()); }));
  ASSERT_TQ_OK(registry_->RegisterFunction(
      "hello", [](TaskContext&) { return Result<std::string>(std::string()); }));
  auto q = Open();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->QueueTask("helloworld"));
  ASSERT_TQ_OK(q->QueueTask("hello Bianca"));
  auto hello = q->FindCommand("hello");
  ASSERT_TQ_OK(hello);
  ASSERT_TRUE(hello->has_value());
  EXPECT_EQ((*hello)->full_command(), "hello Bianca");
  EXPECT_THAT(*q->FindCommands("foo"), IsEmpty());
  EXPECT_FALSE(q->FindCommand("foo")->has_value());
  EXPECT_EQ(q->FindCommands("hello")->size(), 1u);
}

// Case 24: find_task while waiting, while processing, and after unqueue.
TEST_F(QueueCpanelTest, Case24FindTaskAcrossStates) {
  auto child =
      std::make_shared<FlagChildProcessor>(FlagChildProcessor::Config{.flag_dir = dir_.path()});
  ASSERT_TQ_OK(registry_->Register("sleep", child));
  auto q = Open();
  ASSERT_NE(q, nullptr);
  EXPECT_FALSE(q->PeekNextTask()->has_value());

  auto a = q->QueueTask("noop a");
  auto s = q->QueueTask("sleep 1");
  ASSERT_TQ_OK(a);
  ASSERT_TQ_OK(s);
  EXPECT_EQ((*q->FindTask(a->id))->state, TaskState::kWaiting);
  ASSERT_TQ_OK(q->UnqueueTask(a->id));
  EXPECT_FALSE(q->FindTask(a->id)->has_value());

  EXPECT_FALSE(*q->ProcessNextTask());
  auto running = q->FindTask(s->id);
  ASSERT_TRUE(running.ok() && running->has_value());
  EXPECT_EQ((*running)->state, TaskState::kProcessing);
  EXPECT_GT((*running)->pid, 0);
  EXPECT_EQ((*q->FindCommand("sleep"))->id, s->id);
  child->ReleaseAll();
  ASSERT_TQ_OK(q->FinishAllProcessing());
  EXPECT_EQ((*q->FindTask(s->id))->state, TaskState::kComplete);  // kept as history (SPEC §3)
}

// Case 32.
TEST_F(QueueCpanelTest, Case32PauseStopsProcessingNotQueueing) {
  int runs = 0;
  ASSERT_TQ_OK(registry_->RegisterFunction("count", [&runs](TaskContext&) {
    ++runs;
    return Result<std::string>(std::string());
  }));
  auto q = Open();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->Pause());
  auto t = q->QueueTask("count");
  ASSERT_TQ_OK(t);
  EXPECT_FALSE(*q->HasWorkToDo());
  auto processed = q->ProcessNextTask();
  ASSERT_TQ_OK(processed);
  EXPECT_TRUE(*processed);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(Waiting(*q), 1);
  ASSERT_TQ_OK(q->Resume());
  EXPECT_TRUE(*q->HasWorkToDo());
  EXPECT_TRUE(*q->ProcessNextTask());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Waiting(*q), 0);
}

// Case 33: the pause flag is stored and seen by other openers.
TEST_F(QueueCpanelTest, Case33PauseIsShared) {
  auto q = Open();
  auto q2 = Open();
  ASSERT_NE(q, nullptr);
  ASSERT_NE(q2, nullptr);
  ASSERT_TQ_OK(q->Pause());
  EXPECT_TRUE(*q2->IsPaused());
  auto q3 = Open();
  EXPECT_TRUE(*q3->IsPaused());
  ASSERT_TQ_OK(q2->Resume());
  EXPECT_FALSE(*q->IsPaused());
}

// Case 34.
TEST_F(QueueCpanelTest, Case34DeleteAllUnprocessedTasks) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  for (const char* t : {"noop 1", "noop 2", "noop 3"}) ASSERT_TQ_OK(q->QueueTask(t));
  auto n = q->DeleteAllUnprocessedTasks();
  ASSERT_TQ_OK(n);
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(Waiting(*q), 0);
}

// Case 55: two openers see each other's tasks at once.
TEST_F(QueueCpanelTest, Case55Persistence) {
  auto q1 = Open();
  ASSERT_NE(q1, nullptr);
  auto t2 = q1->QueueTask("noop t2");
  ASSERT_TQ_OK(t2);
  auto q2 = Open();
  ASSERT_NE(q2, nullptr);
  EXPECT_TRUE(q2->FindTask(t2->id)->has_value());
  auto t3 = q2->QueueTask("noop t3");
  ASSERT_TQ_OK(t3);
  EXPECT_EQ((*q1->PeekNextTask())->id, t2->id);
  EXPECT_TRUE(q1->FindTask(t3->id)->has_value());
  EXPECT_EQ(Waiting(*q1), 2);
  // And after both are gone, a third opener finds the same tasks.
  q1.reset();
  q2.reset();
  auto q3 = Open();
  EXPECT_THAT(FullCommands(*q3->TasksInState(TaskState::kWaiting)),
              ElementsAre("noop t2", "noop t3"));
}

}  // namespace
}  // namespace taskqueue
