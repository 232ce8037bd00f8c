// Kue's inspection: ranges by state and by command+state (offset/limit,
// ascending and descending, after_id cursors), counts per state and per
// command+state, the command names in use and the total work time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "fakes/kue_fixture.h"
#include "fakes/sqlite_file.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ExecSql;
using ::taskqueue::testing::KueFixture;
using ::taskqueue::testing::QueryText;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class QueueKueInspectTest : public KueFixture {
 protected:
  // Builds a history: for i in 0..9, "alpha i" and "beta i" alternately;
  // even i complete, odd i fail. Then two waiting tasks of each command and
  // one scheduled "alpha". Fills the id lists below.
  void Build(Queue& q) {
    for (int i = 0; i < 10; ++i) {
      for (const char* cmd : {"alpha", "beta"}) {
        const std::string c = std::string(cmd) + " " + std::to_string(i);
        const int64_t id =
            RunOne(q, c, i % 2 == 0 ? Success() : Failure("odd"), /*run_ms=*/100 + i);
        (i % 2 == 0 ? complete_ : failed_).push_back(id);
        if (std::string(cmd) == "alpha" && i % 2 == 0) alpha_complete_.push_back(id);
      }
    }
    for (int i = 0; i < 2; ++i) {
      waiting_.push_back(Enqueue(q, "alpha w" + std::to_string(i)));
      waiting_.push_back(Enqueue(q, "beta w" + std::to_string(i)));
    }
    ScheduleOptions later;
    later.delay_seconds = 3600;
    auto s = Scheduler::ForQueue(q)->ScheduleTask("alpha later", later);
    ASSERT_TQ_OK(s);
    scheduled_ = s->id;
  }
  std::vector<int64_t> complete_, failed_, alpha_complete_, waiting_;
  int64_t scheduled_ = 0;
};

std::vector<int64_t> Listed(const Queue& q, const ListQuery& query) {
  auto r = q.List(query);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<int64_t> out;
  if (r.ok()) {
    for (const auto& t : *r) out.push_back(t.id);
  }
  return out;
}

TEST_F(QueueKueInspectTest, RangesByStateWithOffsetLimitAndOrder) {
  Register("alpha");
  Register("beta");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  Build(*q);
  ASSERT_EQ(complete_.size(), 10u);

  EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete, .limit = 0}), ElementsAreArray(complete_));
  // from..to as offset and limit (Kue's range 2..4).
  EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete, .offset = 2, .limit = 3}),
              ElementsAre(complete_[2], complete_[3], complete_[4]));
  std::vector<int64_t> reversed(complete_.rbegin(), complete_.rend());
  EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete, .limit = 0, .descending = true}),
              ElementsAreArray(reversed));
  EXPECT_THAT(
      Listed(*q, {.state = TaskState::kComplete, .offset = 1, .limit = 2, .descending = true}),
      ElementsAre(reversed[1], reversed[2]));
  // Past the end: an empty page, not an error.
  EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete, .offset = 10, .limit = 5}), IsEmpty());
  EXPECT_THAT(Listed(*q, {.state = TaskState::kWaiting}), ElementsAreArray(waiting_));
  EXPECT_THAT(Listed(*q, {.state = TaskState::kScheduled}), ElementsAre(scheduled_));
  EXPECT_THAT(Listed(*q, {.state = TaskState::kProcessing}), IsEmpty());
}

TEST_F(QueueKueInspectTest, CursorPagesWalkTheWholeStateOnce) {
  Register("alpha");
  Register("beta");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  Build(*q);
  for (bool descending : {false, true}) {
    std::vector<int64_t> walked;
    int64_t after = 0;
    for (;;) {
      auto page = Listed(
          *q,
          {.state = TaskState::kFailed, .limit = 3, .descending = descending, .after_id = after});
      if (page.empty()) break;
      EXPECT_LE(page.size(), 3u);
      walked.insert(walked.end(), page.begin(), page.end());
      after = page.back();
    }
    std::vector<int64_t> want = failed_;
    if (descending) want.assign(failed_.rbegin(), failed_.rend());
    EXPECT_THAT(walked, ElementsAreArray(want)) << "descending=" << descending;
  }
}

TEST_F(QueueKueInspectTest, RangesByCommandAndState) {
  Register("alpha");
  Register("beta");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  Build(*q);
  EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete, .command = "alpha", .limit = 0}),
              ElementsAreArray(alpha_complete_));
  EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete,
                          .command = "alpha",
                          .limit = 2,
                          .after_id = alpha_complete_[1]}),
              ElementsAre(alpha_complete_[2], alpha_complete_[3]));
  EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete, .command = "gamma"}), IsEmpty());
  // A command alone spans every state, the scheduler's included, in id order.
  auto alpha_all = Listed(*q, {.command = "alpha", .limit = 0});
  EXPECT_EQ(alpha_all.size(), 10u + 2u + 1u);
  EXPECT_TRUE(std::is_sorted(alpha_all.begin(), alpha_all.end()));
  EXPECT_EQ(alpha_all.back(), scheduled_);
  auto newest_two = Listed(*q, {.command = "alpha", .limit = 2, .descending = true});
  ASSERT_EQ(newest_two.size(), 2u);
  EXPECT_EQ(newest_two[0], scheduled_);
  // Every state and command, paged across both files.
  auto everything = Listed(*q, {.limit = 0});
  EXPECT_EQ(everything.size(), 20u + 4u + 1u);
  auto middle = Listed(*q, {.offset = 20, .limit = 10});
  EXPECT_THAT(middle,
              ElementsAreArray(std::vector<int64_t>(everything.begin() + 20, everything.end())));
}

TEST_F(QueueKueInspectTest, CountsPerStateAndPerCommand) {
  Register("alpha");
  Register("beta");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  Build(*q);
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 10);
  EXPECT_EQ(counts->failed, 10);
  EXPECT_EQ(counts->waiting, 4);
  EXPECT_EQ(counts->scheduled, 1);
  EXPECT_EQ(counts->processing, 0);
  EXPECT_EQ(counts->total(), 25);

  auto count = [&](std::optional<TaskState> s, const std::string& cmd) {
    auto r = q->Count(s, cmd);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : -1;
  };
  EXPECT_EQ(count(TaskState::kComplete, ""), 10);
  EXPECT_EQ(count(TaskState::kComplete, "alpha"), 5);
  EXPECT_EQ(count(TaskState::kFailed, "beta"), 5);
  EXPECT_EQ(count(TaskState::kWaiting, "beta"), 2);
  EXPECT_EQ(count(TaskState::kScheduled, "alpha"), 1);
  EXPECT_EQ(count(TaskState::kScheduled, "beta"), 0);
  EXPECT_EQ(count(std::nullopt, "alpha"), 13);
  EXPECT_EQ(count(std::nullopt, ""), 25);
  EXPECT_EQ(count(std::nullopt, "gamma"), 0);

  // Counts follow every move: a claim, a finish, a removal.
  const int64_t next = Claim(*q);
  ASSERT_EQ(next, waiting_[0]);
  EXPECT_EQ(count(TaskState::kWaiting, "alpha"), 1);
  EXPECT_EQ(count(TaskState::kProcessing, "alpha"), 1);
  ASSERT_TQ_OK(q->FinishTask(next, Success()));
  EXPECT_EQ(count(TaskState::kComplete, "alpha"), 6);
  EXPECT_EQ(count(TaskState::kProcessing, ""), 0);
  ASSERT_TQ_OK(q->Remove(complete_[0]));
  EXPECT_EQ(count(TaskState::kComplete, "alpha"), 5);
  // And a reopen: counts are stored, not kept in memory.
  q.reset();
  q = OpenKue();
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(count(TaskState::kComplete, ""), 10);
}

TEST_F(QueueKueInspectTest, CommandNamesInUse) {
  Register("alpha");
  Register("beta");
  Register("gamma");
  Register("delta");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  auto names = q->CommandNames();
  ASSERT_TQ_OK(names);
  EXPECT_THAT(*names, IsEmpty());
  RunOne(*q, "beta 1", Success());
  Enqueue(*q, "alpha 1");
  ScheduleOptions later;
  later.delay_seconds = 60;
  ASSERT_TQ_OK(Scheduler::ForQueue(*q)->ScheduleTask("gamma 1", later));
  const int64_t d = Enqueue(*q, "delta 1");
  names = q->CommandNames();
  ASSERT_TQ_OK(names);
  EXPECT_THAT(*names, ElementsAre("alpha", "beta", "delta", "gamma"));
  // A command with no task left is no longer in use.
  ASSERT_TQ_OK(q->UnqueueTask(d));
  names = q->CommandNames();
  ASSERT_TQ_OK(names);
  EXPECT_THAT(*names, ElementsAre("alpha", "beta", "gamma"));
}

TEST_F(QueueKueInspectTest, WorkTimeSumsFinishedRuns) {
  Register("alpha");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  auto wt = q->WorkTimeMillis();
  ASSERT_TQ_OK(wt);
  EXPECT_EQ(*wt, 0);
  RunOne(*q, "alpha 1", Success(), 1500);
  RunOne(*q, "alpha 2", Failure("x"), 250);
  // Time spent waiting does not count.
  const int64_t third = Enqueue(*q, "alpha 3");
  clock_.AdvanceSeconds(100);
  ASSERT_EQ(Claim(*q), third);
  clock_.AdvanceMillis(5);
  ASSERT_TQ_OK(q->FinishTask(third, Success()));
  wt = q->WorkTimeMillis();
  ASSERT_TQ_OK(wt);
  EXPECT_EQ(*wt, 1500 + 250 + 5);
  // Pruning history does not take work time back.
  ASSERT_TQ_OK(q->SetSetting("keep_complete_count", "1"));
  ASSERT_TQ_OK(q->PruneHistory());
  wt = q->WorkTimeMillis();
  ASSERT_TQ_OK(wt);
  EXPECT_EQ(*wt, 1755);
}

// A queue file of schema version 3 summed work time in meta 'work_time_ms'
// and indexed processing tasks by command: upgraded in place, it keeps that
// total, adds new runs to it, finds a command's tasks in every state, and
// its index by command leaves out processing tasks.
TEST_F(QueueKueInspectTest, AVersion3FileIsUpgradedKeepingItsWorkTime) {
  Register("alpha");
  {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
  }
  const std::filesystem::path file = Options().state_dir / "tasks_queue.db";
  ExecSql(file,
          "ALTER TABLE counts DROP COLUMN work_ms;"
          "INSERT INTO meta(key, value) VALUES ('work_time_ms', '1000');"
          "DROP INDEX tasks_command_state_id;"
          "CREATE INDEX tasks_command_state_id ON tasks(command, state, id);"
          "PRAGMA user_version=3;");
  {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
    auto wt = q->WorkTimeMillis();
    ASSERT_TQ_OK(wt);
    EXPECT_EQ(*wt, 1000);
    const int64_t done = RunOne(*q, "alpha 1", Success(), 40);
    wt = q->WorkTimeMillis();
    ASSERT_TQ_OK(wt);
    EXPECT_EQ(*wt, 1040);
    const int64_t running = Enqueue(*q, "alpha 2");
    const int64_t waiting = Enqueue(*q, "alpha 3");
    ASSERT_EQ(Claim(*q), running);
    auto found = q->FindCommands("alpha");
    ASSERT_TQ_OK(found);
    EXPECT_THAT(Ids(*found), ElementsAre(waiting, running));
    EXPECT_THAT(Listed(*q, {.state = TaskState::kProcessing, .command = "alpha"}),
                ElementsAre(running));
    EXPECT_THAT(Listed(*q, {.state = TaskState::kComplete, .command = "alpha"}), ElementsAre(done));
  }
  const std::string index =
      QueryText(file, "SELECT sql FROM sqlite_master WHERE name = 'tasks_command_state_id'");
  EXPECT_THAT(index, HasSubstr("WHERE state <> 3"));
}

}  // namespace
}  // namespace taskqueue
