// The Perl original's enqueue cases (cpanel-taskqueue.md §4.2, cases 9-22)
// ported to the library: dupes, error messages, command parsing as stored,
// is_valid_args, batches, overrides, attempts and userdata. Task-level cases
// 20-22 (parsing table, ids, userdata rules) are in task_test.cc; here only
// their queue side is checked. Where SPEC.md deliberately differs, the test
// says which rule and why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
using ::taskqueue::testing::TwoArgsProcessor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class QueueEnqueueCpanelTest : public ::taskqueue::testing::QueueFixture {};

// Case 9: dupes are equal command and args, whatever the spacing and quoting.
TEST_F(QueueEnqueueCpanelTest, Case09DupesIgnoreSpacingAndQuoting) {
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
TEST_F(QueueEnqueueCpanelTest, Case10IdsAreNeverReusedEvenForDupes) {
  auto q = Open();
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->QueueTask("noop a")->uuid, "TQ:TaskQueue:1");
  EXPECT_TRUE(q->QueueTask("noop a")->duplicate);
  EXPECT_EQ(q->QueueTask("noop b")->uuid, "TQ:TaskQueue:3");
}

// A command refused by is_valid_args stores nothing, not even a number: the
// next task gets the id the refused one would have had.
TEST_F(QueueEnqueueCpanelTest, ARefusedCommandTakesNoId) {
  ASSERT_TQ_OK(registry_->Register("pair", std::make_shared<TwoArgsProcessor>()));
  auto q = Open();
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->QueueTask("pair a b")->uuid, "TQ:TaskQueue:1");
  auto refused = q->QueueTask("pair only-one");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsInvalidArgument());
  EXPECT_EQ(q->QueueTask("pair c d")->uuid, "TQ:TaskQueue:2");
}

// Case 11: a processing task is not a dupe candidate. A child blocked on a
// flag file stands in for the original's 'sleep 2'.
TEST_F(QueueEnqueueCpanelTest, Case11ProcessingTaskIsNotADupe) {
  auto sleeper =
      std::make_shared<FlagChildProcessor>(FlagChildProcessor::Config{.flag_dir = dir_.path()});
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
TEST_F(QueueEnqueueCpanelTest, Case12ErrorMessages) {
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
TEST_F(QueueEnqueueCpanelTest, Case20MalformedQuotingIsRefusedWithAPosition) {
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
TEST_F(QueueEnqueueCpanelTest, Case20ParsedTasksAsStored) {
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
TEST_F(QueueEnqueueCpanelTest, Case13IsValidArgs) {
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
TEST_F(QueueEnqueueCpanelTest, Case14BatchKeepsTheValidTasks) {
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
TEST_F(QueueEnqueueCpanelTest, Case15BadTaskIds) {
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
TEST_F(QueueEnqueueCpanelTest, Case16OverridesRemoveMatchingWaitingTasks) {
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
TEST_F(QueueEnqueueCpanelTest, Case18And19AttemptsOption) {
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
TEST_F(QueueEnqueueCpanelTest, Case22UserdataIsValidatedAtEnqueue) {
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

}  // namespace
}  // namespace taskqueue
