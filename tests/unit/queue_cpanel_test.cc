// The Perl original's queue cases (cpanel-taskqueue.md §4.2, cases 1-24,
// 32-34 and 55) ported to the library: opening and settings, enqueue with
// is_valid_args / overrides / is_dupe, inspection, pause and persistence.
// Where SPEC.md deliberately differs, the test says which rule and why.
// Task-level cases 20-22 are in task_test.cc (parsing, ids, userdata); here
// only their queue-level side is checked.
#include <sys/stat.h>

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class QueueCpanelTest : public ::testing::Test {
 protected:
  QueueOptions Options() const {
    QueueOptions o;
    o.state_dir = dir_.path() / "state";
    o.registry = registry_;
    return o;
  }
  std::unique_ptr<Queue> Open(QueueOptions o) {
    auto q = Queue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(q).value() : nullptr;
  }
  std::unique_ptr<Queue> Open() { return Open(Options()); }
  int64_t Waiting(const Queue& q) { return q.Counts()->waiting; }

  TempDir dir_;
  std::shared_ptr<ProcessorRegistry> registry_ = std::make_shared<ProcessorRegistry>();
};

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

// Case 9: dupes are equal command and args, whatever the spacing and quoting.
TEST_F(QueueCpanelTest, Case09DupesIgnoreSpacingAndQuoting) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->QueueTask("noop a 2 c"));
  for (const char* dupe : {"noop a 2 c", "noop  a   2   c", "noop a '2' c", "noop a \"2\" c"}) {
    auto r = q->QueueTask(dupe);
    ASSERT_TQ_OK(r);
    EXPECT_TRUE(r->duplicate) << dupe;
    EXPECT_EQ(r->uuid, "") << dupe;
    EXPECT_EQ(Waiting(*q), 1) << dupe;
  }
  auto other = q->QueueTask("noop a b 3");
  ASSERT_TQ_OK(other);
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(Waiting(*q), 2);
}

// Case 10: a dupe consumes its id, as in the original.
TEST_F(QueueCpanelTest, Case10IdsAreNeverReusedEvenForDupes) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->QueueTask("noop a")->uuid, "TQ:TaskQueue:1");
  EXPECT_TRUE(q->QueueTask("noop a")->duplicate);
  EXPECT_EQ(q->QueueTask("noop b")->uuid, "TQ:TaskQueue:3");
}

// Case 11: a processing task is not a dupe candidate. A child blocked on a
// flag file stands in for the original's 'sleep 2'.
TEST_F(QueueCpanelTest, Case11ProcessingTaskIsNotADupe) {
  auto sleeper = std::make_shared<FlagChildProcessor>(
      FlagChildProcessor::Config{.flag_dir = dir_.path()});
  ASSERT_TQ_OK(registry_->Register("sleep", sleeper));
  auto q = Open();
  ASSERT_NE(q, nullptr);
  auto first = q->QueueTask("sleep 2");
  ASSERT_TQ_OK(first);
  auto processed = q->ProcessNextTask();
  ASSERT_TQ_OK(processed);
  EXPECT_FALSE(*processed);  // a child is left running
  auto again = q->QueueTask("sleep 2");
  ASSERT_TQ_OK(again);
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(Waiting(*q), 1);
  sleeper->ReleaseAll();
  ASSERT_TQ_OK(q->FinishAllProcessing());
}

// Case 12. SPEC §3 differs for ' noop': the original parsed a leading space
// as the command '' ("No known processor for ''."); whitespace before the
// command is refused here with the position.
TEST_F(QueueCpanelTest, Case12ErrorMessages) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  auto unknown = q->QueueTask("xyzzy 1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.status().IsNotSupported());
  EXPECT_EQ(unknown.status().message(), "No known processor for 'xyzzy'.");
  for (const char* empty : {"", "   ", "\t\n"}) {
    auto r = q->QueueTask(empty);
    ASSERT_FALSE(r.ok()) << empty;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_EQ(r.status().message(), "Cannot queue an empty command.");
  }
  auto leading = q->QueueTask(" noop");
  ASSERT_FALSE(leading.ok());
  EXPECT_TRUE(leading.status().IsInvalidArgument());
  EXPECT_THAT(leading.status().message(), HasSubstr("position 1"));
  EXPECT_EQ(q->Counts()->total(), 0);
}

// Case 12 / 20, parse table rows 3, 4 and 6: input the original mangles is
// refused at enqueue with the position (SPEC §3), and nothing is queued.
TEST_F(QueueCpanelTest, Case20MalformedQuotingIsRefusedWithAPosition) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  for (const char* bad : {"noop a'b c'", "noop 'unterminated x", "noop 'a\""}) {
    auto r = q->QueueTask(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("position")) << bad;
  }
  EXPECT_EQ(q->Counts()->total(), 0);
}

// Case 20, queue side: the well-formed rows 1, 2 and 5 and the bare command.
// SPEC §3: full_command has no trailing space ('noop', not 'noop ').
TEST_F(QueueCpanelTest, Case20ParsedTasksAsStored) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  // full_command is command, one space, argstring: as in the original,
  // the whitespace after the command is not part of argstring.
  struct Row {
    const char* text;
    std::vector<std::string> args;
    const char* full;
  };
  const Row rows[] = {
      {"noop", {}, "noop"},
      {"noop  'a b'   \"c d\"  e", {"a b", "c d", "e"}, "noop 'a b'   \"c d\"  e"},
      {"noop  'a \\'b\\''   \"\\\"c \\\" d\"  e",
       {"a 'b'", "\"c \" d", "e"},
       "noop 'a \\'b\\''   \"\\\"c \\\" d\"  e"},
      {"noop ''", {""}, "noop ''"},
      {"noop a\\ b", {"a\\", "b"}, "noop a\\ b"},
  };
  for (const Row& row : rows) {
    auto r = q->QueueTask(row.text);
    ASSERT_TQ_OK(r);
    auto t = q->FindTask(r->id);
    ASSERT_TRUE(t.ok() && t->has_value()) << row.text;
    EXPECT_EQ((*t)->command, "noop");
    EXPECT_EQ((*t)->args, row.args) << row.text;
    EXPECT_EQ((*t)->full_command(), row.full);
    EXPECT_EQ((*t)->attempts_max, 1);  // the original's retries 1
  }
  auto bare = q->FindTask(1);
  EXPECT_EQ((*bare)->argstring, "");
  EXPECT_EQ((*bare)->full_command(), "noop");
}

// Case 13.
TEST_F(QueueCpanelTest, Case13IsValidArgs) {
  ASSERT_TQ_OK(registry_->Register("mock", std::make_shared<testing::TwoArgsProcessor>()));
  auto q = Open();
  ASSERT_NE(q, nullptr);
  EXPECT_TQ_OK(q->QueueTask("mock 1 2"));
  auto bad = q->QueueTask("mock 1 2 3");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_EQ(bad.status().message(), "Requested command [mock 1 2 3] has invalid arguments.");
  EXPECT_EQ(Waiting(*q), 1);
}

// Case 14. The API differs: QueueTasks reports one outcome per string
// instead of throwing for the first refused one; as in the original, the
// valid tasks of the batch are kept.
TEST_F(QueueCpanelTest, Case14BatchKeepsTheValidTasks) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->QueueTask("noop before"));
  auto all = q->QueueTasks({"noop x", "bogus 1", "noop y"});
  ASSERT_TQ_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_TQ_OK((*all)[0].status);
  EXPECT_FALSE((*all)[0].duplicate);
  EXPECT_TRUE((*all)[1].status.IsNotSupported());
  EXPECT_EQ((*all)[1].status.message(), "No known processor for 'bogus'.");
  EXPECT_TQ_OK((*all)[2].status);
  EXPECT_EQ(Waiting(*q), 3);
}

// Case 15. The API takes task numbers, so "undef" cannot be passed; bad id
// text is refused by ParseTaskId, and an unknown number is simply not found
// (false / nullopt) rather than an error.
TEST_F(QueueCpanelTest, Case15BadTaskIds) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  EXPECT_FALSE(*q->UnqueueTask(1111111));
  EXPECT_FALSE(q->FindTask(1111111)->has_value());
  EXPECT_FALSE(ParseTaskId("").ok());
  EXPECT_FALSE(ParseTaskId("TQ:TaskQueue:").ok());
  EXPECT_FALSE(ParseTaskId("fred").ok());
  EXPECT_EQ(*ParseTaskId("TQ:TaskQueue:1111111"), 1111111);
}

// Cases 16 and 17.
TEST_F(QueueCpanelTest, Case16OverridesRemoveMatchingWaitingTasks) {
  ASSERT_TQ_OK(registry_->Register("mock", std::make_shared<testing::OverridingProcessor>()));
  auto q = Open();
  ASSERT_NE(q, nullptr);
  for (const char* t : {"mock 1 on", "mock 2 on", "mock 3 on"}) ASSERT_TQ_OK(q->QueueTask(t));
  ASSERT_TQ_OK(q->QueueTask("mock all off"));
  EXPECT_EQ(Waiting(*q), 1);
  for (const char* t : {"mock 1 on", "mock 2 on", "mock 3 on"}) ASSERT_TQ_OK(q->QueueTask(t));
  ASSERT_TQ_OK(q->QueueTask("mock 2 off"));
  EXPECT_EQ(Waiting(*q), 4);
  EXPECT_THAT(FullCommands(*q->TasksInState(TaskState::kWaiting)),
              ElementsAre("mock all off", "mock 1 on", "mock 3 on", "mock 2 off"));

  // Case 17: the override runs before the dupe check, so an exact copy of a
  // waiting task that overrides it replaces it.
  auto again = q->QueueTask("mock all off");
  ASSERT_TQ_OK(again);
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(Waiting(*q), 1);
  EXPECT_EQ((*q->PeekNextTask())->id, again->id);
}

// Cases 18 and 19 queue Task objects (a foreign namespace, 0 retries); the
// library queues only command strings (SPEC §3), so their nearest
// equivalent is the attempts option: positive values are kept, 0 means the
// processor's default (1), and a negative value is refused, naming it.
TEST_F(QueueCpanelTest, Case18And19AttemptsOption) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  TaskOptions three;
  three.attempts = 3;
  auto a = q->QueueTask("noop a", three);
  ASSERT_TQ_OK(a);
  EXPECT_EQ((*q->FindTask(a->id))->attempts_max, 3);
  auto b = q->QueueTask("noop b", TaskOptions{});
  ASSERT_TQ_OK(b);
  EXPECT_EQ((*q->FindTask(b->id))->attempts_max, 1);
  TaskOptions negative;
  negative.attempts = -12;
  auto c = q->QueueTask("noop c", negative);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("attempts"));
  EXPECT_EQ(Waiting(*q), 2);
}

// Case 22, queue side: userdata must be a flat object; a nested value is
// refused naming the key, and good userdata is stored.
TEST_F(QueueCpanelTest, Case22UserdataIsValidatedAtEnqueue) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  TaskOptions bad;
  bad.userdata_json = R"({"bad_a":[],"bad_h":{},"good":5})";
  auto r = q->QueueTask("noop x", bad);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("bad_a"));
  EXPECT_THAT(r.status().message(), HasSubstr("bad_h"));
  TaskOptions good;
  good.userdata_json = R"({"num":5,"str":"s"})";
  auto ok = q->QueueTask("noop x", good);
  ASSERT_TQ_OK(ok);
  EXPECT_THAT((*q->FindTask(ok->id))->userdata_json, HasSubstr("\"str\""));
  EXPECT_EQ(Waiting(*q), 1);
}

// Case 23: find_command matches the exact command name.
TEST_F(QueueCpanelTest, Case23FindCommandIsExact) {
  ASSERT_TQ_OK(registry_->RegisterFunction("helloworld", [](TaskContext&) {
    return Result<std::string>(std::string());
  }));
  ASSERT_TQ_OK(registry_->RegisterFunction("hello", [](TaskContext&) {
    return Result<std::string>(std::string());
  }));
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
  auto child = std::make_shared<FlagChildProcessor>(
      FlagChildProcessor::Config{.flag_dir = dir_.path()});
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
