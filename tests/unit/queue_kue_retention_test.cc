// History and retention: finished tasks keep their record (state, exit
// status, error, result, timings, attempts); PruneHistory removes them by
// age and by count per state together with their logs, output files and
// search entries, and old events by age; remove_on_complete deletes a
// complete task at once, per task or per processor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "fakes/kue_fixture.h"
#include "fakes/test_processors.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::KueFixture;
using ::taskqueue::testing::KueProcessor;
using ::taskqueue::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class QueueKueRetentionTest : public KueFixture {
 protected:
  // Gives task `id` a log line, an output file and a searchable word.
  void AddHistory(Queue& q, int64_t id) {
    ASSERT_TQ_OK(q.Log(id, "logword" + std::to_string(id)));
    std::filesystem::create_directories(q.OutputPath(id).parent_path());
    WriteFile(q.OutputPath(id), "output of " + std::to_string(id) + "\n");
  }
  // Whether anything of task `id` is left anywhere.
  void ExpectGone(Queue& q, int64_t id) {
    auto t = q.FindTask(id);
    ASSERT_TQ_OK(t);
    EXPECT_FALSE(t->has_value()) << id;
    auto logs = q.Logs(id);
    ASSERT_TQ_OK(logs);
    EXPECT_THAT(*logs, IsEmpty()) << id;
    EXPECT_FALSE(std::filesystem::exists(q.OutputPath(id))) << id;
    auto found = q.Search("logword" + std::to_string(id));
    ASSERT_TQ_OK(found);
    EXPECT_THAT(Ids(*found), IsEmpty()) << id;
  }
  void ExpectKept(Queue& q, int64_t id) {
    auto t = q.FindTask(id);
    ASSERT_TQ_OK(t);
    EXPECT_TRUE(t->has_value()) << id;
    auto logs = q.Logs(id);
    ASSERT_TQ_OK(logs);
    EXPECT_EQ(logs->size(), 1u) << id;
    EXPECT_TRUE(std::filesystem::exists(q.OutputPath(id))) << id;
    auto found = q.Search("logword" + std::to_string(id));
    ASSERT_TQ_OK(found);
    EXPECT_THAT(Ids(*found), ElementsAre(id));
  }
};

TEST_F(QueueKueRetentionTest, FinishedTasksKeepTheirRecord) {
  KueProcessor::Config two;
  two.attempts = 2;
  two.backoff = *Backoff::Parse("fixed:10");
  Register("work", two);
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t created = clock_.NowMillis();
  const int64_t ok = RunOne(*q, "work good", Success("the result"), 1234);
  auto t = q->FindTask(ok);
  ASSERT_TQ_OK(t);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->state, TaskState::kComplete);
  EXPECT_EQ((*t)->result, "the result");
  EXPECT_EQ((*t)->exit_status, 0);
  EXPECT_EQ((*t)->error, "");
  EXPECT_EQ((*t)->created_at, created);
  EXPECT_EQ((*t)->run_at, created);
  EXPECT_EQ((*t)->started_at, created);
  EXPECT_EQ((*t)->finished_at, created + 1234);
  EXPECT_EQ((*t)->attempts_made, 1);
  EXPECT_EQ((*t)->attempts_max, 2);

  // Failed twice (the second after its backoff): the last error stays.
  const int64_t bad = Enqueue(*q, "work bad");
  ASSERT_EQ(Claim(*q), bad);
  ASSERT_TQ_OK(q->FinishTask(bad, Failure("first", 2)));
  clock_.AdvanceSeconds(10);
  auto sched = Scheduler::ForQueue(*q);
  ASSERT_TQ_OK(sched->ProcessReadyTasks(*q));
  const int64_t second_start = clock_.NowMillis();
  ASSERT_EQ(Claim(*q), bad);
  clock_.AdvanceMillis(50);
  ASSERT_TQ_OK(q->FinishTask(bad, Failure("second", 7)));
  t = q->FindTask(bad);
  ASSERT_TQ_OK(t);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->state, TaskState::kFailed);
  EXPECT_EQ((*t)->error, "second");
  EXPECT_EQ((*t)->exit_status, 7);
  EXPECT_EQ((*t)->attempts_made, 2);
  EXPECT_EQ((*t)->started_at, second_start);
  EXPECT_EQ((*t)->finished_at, second_start + 50);
}

TEST_F(QueueKueRetentionTest, PrunesByAgeWithLogsOutputAndSearchEntries) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->SetSetting("keep_finished_seconds", "3600"));
  const int64_t old_ok = RunOne(*q, "work old_ok", Success());
  const int64_t old_bad = RunOne(*q, "work old_bad", Failure("boom"));
  AddHistory(*q, old_ok);
  AddHistory(*q, old_bad);
  clock_.AdvanceSeconds(3000);
  const int64_t young = RunOne(*q, "work young", Success());
  AddHistory(*q, young);
  const int64_t waiting = Enqueue(*q, "work waiting");
  AddHistory(*q, waiting);

  // Nothing is old enough yet.
  auto pruned = q->PruneHistory();
  ASSERT_TQ_OK(pruned);
  EXPECT_EQ(*pruned, 0);

  clock_.AdvanceSeconds(700);  // the first two are now 3700 s old
  pruned = q->PruneHistory();
  ASSERT_TQ_OK(pruned);
  EXPECT_EQ(*pruned, 2);
  ExpectGone(*q, old_ok);
  ExpectGone(*q, old_bad);
  ExpectKept(*q, young);
  ExpectKept(*q, waiting);  // never pruned: not finished, however old
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 1);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(counts->waiting, 1);
  // The failure's error text is no longer searchable either.
  auto found = q->Search("boom");
  ASSERT_TQ_OK(found);
  EXPECT_THAT(Ids(*found), IsEmpty());
}

TEST_F(QueueKueRetentionTest, PrunesByCountPerStateKeepingTheNewest) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->SetSetting("keep_complete_count", "2"));
  ASSERT_TQ_OK(q->SetSetting("keep_failed_count", "1"));
  std::vector<int64_t> ok, bad;
  for (int i = 0; i < 4; ++i) {
    clock_.AdvanceSeconds(1);
    ok.push_back(RunOne(*q, "work ok" + std::to_string(i), Success()));
    AddHistory(*q, ok.back());
    clock_.AdvanceSeconds(1);
    bad.push_back(RunOne(*q, "work bad" + std::to_string(i), Failure("no")));
    AddHistory(*q, bad.back());
  }
  auto pruned = q->PruneHistory();
  ASSERT_TQ_OK(pruned);
  EXPECT_EQ(*pruned, 2 + 3);
  for (int i : {0, 1}) ExpectGone(*q, ok[i]);
  for (int i : {2, 3}) ExpectKept(*q, ok[i]);
  for (int i : {0, 1, 2}) ExpectGone(*q, bad[i]);
  ExpectKept(*q, bad[3]);
  auto complete = q->List({.state = TaskState::kComplete});
  ASSERT_TQ_OK(complete);
  EXPECT_THAT(Ids(*complete), ElementsAre(ok[2], ok[3]));
  // Pruning again finds nothing more.
  pruned = q->PruneHistory();
  ASSERT_TQ_OK(pruned);
  EXPECT_EQ(*pruned, 0);
}

TEST_F(QueueKueRetentionTest, PrunesOldEventsOnly) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->SetSetting("keep_events_seconds", "100"));
  const int64_t a = Enqueue(*q, "work a");
  clock_.AdvanceSeconds(60);
  const int64_t b = Enqueue(*q, "work b");
  clock_.AdvanceSeconds(60);  // a's event is 120 s old, b's 60 s
  ASSERT_TQ_OK(q->PruneHistory());
  auto events = EventsSince(*q, 0);
  EXPECT_THAT(Describe(events), ElementsAre("enqueue:" + std::to_string(b)));
  // Tasks are not events: both are still waiting.
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->waiting, 2);
  (void)a;
}

TEST_F(QueueKueRetentionTest, PruningEveryEventNeverReusesTheirIds) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  ASSERT_TQ_OK(q->SetSetting("keep_events_seconds", "10"));
  Enqueue(*q, "work a");
  Enqueue(*q, "work b");
  const int64_t last = EventsSince(*q, 0).back().id;
  clock_.AdvanceSeconds(60);
  ASSERT_TQ_OK(q->PruneHistory());
  EXPECT_THAT(EventsSince(*q, 0), ::testing::IsEmpty());
  const int64_t c = Enqueue(*q, "work c");
  auto events = EventsSince(*q, 0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_GT(events[0].id, last);
  EXPECT_EQ(events[0].task_id, c);
}

TEST_F(QueueKueRetentionTest, RemoveOnCompletePerTask) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  TaskOptions remove;
  remove.remove_on_complete = true;
  const int64_t gone = Enqueue(*q, "work gone", remove);
  AddHistory(*q, gone);
  ASSERT_EQ(Claim(*q), gone);
  ASSERT_TQ_OK(q->FinishTask(gone, Success()));
  ExpectGone(*q, gone);
  // The complete event is still written, so followers learn how it ended.
  auto events = EventsSince(*q, 0);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "complete");
  EXPECT_EQ(events.back().task_id, gone);

  // A failure is kept even with remove_on_complete: it is not a completion.
  const int64_t failed = Enqueue(*q, "work failed", remove);
  AddHistory(*q, failed);
  ASSERT_EQ(Claim(*q), failed);
  ASSERT_TQ_OK(q->FinishTask(failed, Failure("kept")));
  ExpectKept(*q, failed);

  const int64_t kept = RunOne(*q, "work kept", Success());
  auto t = q->FindTask(kept);
  ASSERT_TQ_OK(t);
  EXPECT_TRUE(t->has_value());
  auto counts = q->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->complete, 1);
  EXPECT_EQ(counts->failed, 1);
}

TEST_F(QueueKueRetentionTest, RemoveOnCompletePerProcessor) {
  KueProcessor::Config cleanup;
  cleanup.remove_on_complete = true;
  Register("ephemeral", cleanup);
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t e = Enqueue(*q, "ephemeral x");
  AddHistory(*q, e);
  ASSERT_EQ(Claim(*q), e);
  ASSERT_TQ_OK(q->FinishTask(e, Success()));
  ExpectGone(*q, e);
  const int64_t w = RunOne(*q, "work y", Success());
  auto names = q->CommandNames();
  ASSERT_TQ_OK(names);
  EXPECT_THAT(*names, ElementsAre("work"));
  auto complete = q->List({.state = TaskState::kComplete});
  ASSERT_TQ_OK(complete);
  EXPECT_THAT(Ids(*complete), ElementsAre(w));
}

}  // namespace
}  // namespace taskqueue
