// Kue's progress and job logs: progress stored as 0..100 with its data,
// from the library API and from an in-process processor; log lines kept per
// task in order with their times, separate from a child's captured output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/kue_fixture.h"
#include "fakes/test_processors.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::KueFixture;
using ::taskqueue::testing::ReadFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class QueueKueProgressTest : public KueFixture {};

int ProgressOf(const Queue& q, int64_t id) {
  auto t = q.FindTask(id);
  EXPECT_TRUE(t.ok() && t->has_value());
  return t.ok() && t->has_value() ? (*t)->progress : -1;
}

TEST_F(QueueKueProgressTest, StoresPercentClampedToHundredWithData) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t id = Enqueue(*q, "work a");
  ASSERT_EQ(Claim(*q), id);

  ASSERT_TQ_OK(q->Progress(id, 1, 3, "first third"));
  EXPECT_EQ(ProgressOf(*q, id), 33);  // rounded down, as Kue does
  auto t = q->FindTask(id);
  ASSERT_TQ_OK(t);
  EXPECT_EQ((*t)->progress_data, "first third");

  ASSERT_TQ_OK(q->Progress(id, 50, 100));
  EXPECT_EQ(ProgressOf(*q, id), 50);
  t = q->FindTask(id);
  EXPECT_EQ((*t)->progress_data, "");  // data is replaced, not kept

  ASSERT_TQ_OK(q->Progress(id, 250, 100, "overshoot"));
  EXPECT_EQ(ProgressOf(*q, id), 100);
  ASSERT_TQ_OK(q->Progress(id, 0, 100));
  EXPECT_EQ(ProgressOf(*q, id), 0);
  // No total: any work done counts as all of it.
  ASSERT_TQ_OK(q->Progress(id, 5, 0));
  EXPECT_EQ(ProgressOf(*q, id), 100);
}

TEST_F(QueueKueProgressTest, RefusesNegativeValuesAndUnknownTasks) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t id = Enqueue(*q, "work a");
  Status neg = q->Progress(id, -1, 10);
  EXPECT_TRUE(neg.IsInvalidArgument()) << neg.ToString();
  neg = q->Progress(id, 1, -10);
  EXPECT_TRUE(neg.IsInvalidArgument()) << neg.ToString();
  EXPECT_EQ(ProgressOf(*q, id), 0);
  EXPECT_TRUE(q->Progress(id + 100, 1, 2).IsNotFound());
  EXPECT_TRUE(q->Log(id + 100, "nobody").IsNotFound());
}

// Progress belongs to a run (SPEC §5: for a running child): a waiting or
// finished task's record is left as it is, with an error saying why.
TEST_F(QueueKueProgressTest, RefusesTasksThatAreNotRunning) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t done = RunOne(*q, "work done", Failure("boom"));
  Status st = q->Progress(done, 100, 100, "late");
  EXPECT_EQ(st.code(), Status::Code::kAborted) << st.ToString();
  EXPECT_THAT(st.message(), ::testing::HasSubstr("it is failed"));
  EXPECT_EQ(ProgressOf(*q, done), 0);
  const int64_t waiting = Enqueue(*q, "work waiting");
  st = q->Progress(waiting, 1, 2);
  EXPECT_EQ(st.code(), Status::Code::kAborted) << st.ToString();
  EXPECT_THAT(st.message(), ::testing::HasSubstr("is not running (it is waiting)"));
}

TEST_F(QueueKueProgressTest, InProcessProcessorReportsProgressAndLogs) {
  ASSERT_TQ_OK(registry_->RegisterFunction("steps", [](TaskContext& ctx) -> Result<std::string> {
    ctx.Log("starting " + ctx.task().args.at(0));
    for (int i = 1; i <= 4; ++i) ctx.Progress(i, 4, "step " + std::to_string(i));
    ctx.Log("finished");
    return std::string("all steps");
  }));
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t id = Enqueue(*q, "steps alpha");
  auto ran = q->ProcessNextTask();
  ASSERT_TQ_OK(ran);
  auto t = q->FindTask(id);
  ASSERT_TQ_OK(t);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->state, TaskState::kComplete);
  EXPECT_EQ((*t)->progress, 100);
  EXPECT_EQ((*t)->progress_data, "step 4");
  EXPECT_EQ((*t)->result, "all steps");
  auto logs = q->Logs(id);
  ASSERT_TQ_OK(logs);
  std::vector<std::string> lines;
  for (const auto& l : *logs) lines.push_back(l.line);
  EXPECT_THAT(lines, ElementsAre("starting alpha", "finished"));
}

TEST_F(QueueKueProgressTest, LogLinesInOrderWithTheirTimes) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t id = Enqueue(*q, "work a");
  const int64_t other = Enqueue(*q, "work b");
  const int64_t t0 = clock_.NowMillis();
  ASSERT_TQ_OK(q->Log(id, "one"));
  clock_.AdvanceMillis(1500);
  ASSERT_TQ_OK(q->Log(other, "not mine"));
  ASSERT_TQ_OK(q->Log(id, "two"));
  clock_.AdvanceMillis(1);
  ASSERT_TQ_OK(q->Log(id, "three: with 'quotes' and\ttabs"));
  ASSERT_TQ_OK(q->Log(id, ""));  // an empty line is a line too

  auto logs = q->Logs(id);
  ASSERT_TQ_OK(logs);
  ASSERT_EQ(logs->size(), 4u);
  EXPECT_EQ((*logs)[0].line, "one");
  EXPECT_EQ((*logs)[0].time, t0);
  EXPECT_EQ((*logs)[1].line, "two");
  EXPECT_EQ((*logs)[1].time, t0 + 1500);
  EXPECT_EQ((*logs)[2].line, "three: with 'quotes' and\ttabs");
  EXPECT_EQ((*logs)[2].time, t0 + 1501);
  EXPECT_EQ((*logs)[3].line, "");

  auto theirs = q->Logs(other);
  ASSERT_TQ_OK(theirs);
  ASSERT_EQ(theirs->size(), 1u);
  EXPECT_EQ((*theirs)[0].line, "not mine");

  // Logs outlive the run: they are history too, and survive a reopen.
  ASSERT_EQ(Claim(*q), id);
  ASSERT_TQ_OK(q->FinishTask(id, Success()));
  q.reset();
  q = OpenKue();
  ASSERT_NE(q, nullptr);
  logs = q->Logs(id);
  ASSERT_TQ_OK(logs);
  EXPECT_EQ(logs->size(), 4u);
}

// A child that prints to stdout and stderr: its output goes to the task's
// output file, never to its log lines, and log lines added while it runs
// never reach the output file.
class PrintingChild : public ChildProcessor {
 public:
  std::vector<std::string> Argv(const Task&) const override {
    return {"/bin/sh", "-c", "echo child-stdout; echo child-stderr >&2"};
  }
};

TEST_F(QueueKueProgressTest, ChildOutputStaysSeparateFromLogLines) {
  ASSERT_TQ_OK(registry_->Register("printer", std::make_shared<PrintingChild>()));
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t id = Enqueue(*q, "printer");
  auto started = q->ProcessNextTask();
  ASSERT_TQ_OK(started);
  ASSERT_TQ_OK(q->Log(id, "a log line from outside"));
  ASSERT_TQ_OK(q->FinishAllProcessing());

  auto t = q->FindTask(id);
  ASSERT_TQ_OK(t);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->state, TaskState::kComplete);
  EXPECT_EQ((*t)->exit_status, 0);
  const std::string output = ReadFile(q->OutputPath(id));
  EXPECT_THAT(output, HasSubstr("child-stdout"));
  EXPECT_THAT(output, HasSubstr("child-stderr"));
  EXPECT_THAT(output, Not(HasSubstr("a log line")));
  auto logs = q->Logs(id);
  ASSERT_TQ_OK(logs);
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].line, "a log line from outside");
}

}  // namespace
}  // namespace taskqueue
