// The counts per command and state (Queue::Counts and Count, `status`, the
// dashboard) equal the tasks as they are, whatever moved them. The store
// counts a change of state itself, once per transaction (a daemon's turn
// that claims two tasks and finishes two writes three rows of counts), so
// what must hold: after every step of a long mixed run of claims,
// finishes, retries, deferrals, removals and states set by hand, each count
// in the queue file and the scheduler file equals its tasks counted one by
// one; a change and a delete of the same task in one transaction are both
// counted, and so are two changes of one task; a transaction reads its own
// changes in the counts, and a failed one leaves none; a version 4 file,
// which counted by trigger and may have drifted, is upgraded to exact
// counts without its trigger.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fakes/kue_fixture.h"
#include "fakes/sqlite_file.h"
#include "fakes/test_util.h"
#include "state/store.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ExecSql;
using ::taskqueue::testing::KueFixture;
using ::taskqueue::testing::QueryText;
using ::taskqueue::testing::TempDir;

// "command:state=n ..." of the counts table (rows of 0 left out), and the
// same counted from the tasks themselves.
std::string StoredCounts(const std::filesystem::path& file) {
  return QueryText(file,
                   "SELECT coalesce(group_concat(k, ' '), '') FROM (SELECT command || ':' || "
                   "state || '=' || n AS k FROM counts WHERE n <> 0 ORDER BY command, state)");
}
std::string ActualCounts(const std::filesystem::path& file) {
  return QueryText(file,
                   "SELECT coalesce(group_concat(k, ' '), '') FROM (SELECT command || ':' || "
                   "state || '=' || count(*) AS k FROM tasks GROUP BY command, state "
                   "ORDER BY command, state)");
}

class QueueCountsTest : public KueFixture {
 protected:
  std::filesystem::path QueueFile() const { return Options().state_dir / "tasks_queue.db"; }
  std::filesystem::path SchedFile() const { return Options().state_dir / "tasks_sched.db"; }

  void ExpectExact(const Queue& q, const std::string& step) {
    EXPECT_EQ(StoredCounts(QueueFile()), ActualCounts(QueueFile())) << "queue file, " << step;
    if (std::filesystem::exists(SchedFile())) {
      EXPECT_EQ(StoredCounts(SchedFile()), ActualCounts(SchedFile())) << "sched file, " << step;
    }
    // And through the API, which reads the counts table.
    for (TaskState state : {TaskState::kWaiting, TaskState::kDeferred, TaskState::kProcessing,
                            TaskState::kComplete, TaskState::kFailed}) {
      auto listed = q.List({.state = state, .limit = 0});
      auto counted = q.Count(state);
      ASSERT_TQ_OK(listed);
      ASSERT_TQ_OK(counted);
      EXPECT_EQ(*counted, static_cast<int64_t>(listed->size()))
          << "state " << static_cast<int>(state) << ", " << step;
    }
  }
};

TEST_F(QueueCountsTest, CountsEqualTheTasksAfterEveryStepOfAMixedRun) {
  Register("plain");
  Register("retried", {.attempts = 3, .reschedule_delay = 1});
  Register("tagged", {.tags_from_args = true});
  Register("removed", {.remove_on_complete = true});
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  auto sched = Scheduler::ForQueue(*q);
  const std::vector<std::string> commands = {"plain", "retried", "tagged", "removed"};
  std::mt19937 random(20261124);  // fixed: the same run every time
  auto pick = [&random](size_t n) { return static_cast<size_t>(random() % n); };
  std::vector<int64_t> ids;
  std::vector<int64_t> running;
  auto outcome = [&]() { return pick(3) == 0 ? Failure("no") : Success(); };
  std::set<int> seen;  // the states some task was in after some step
  for (int step = 0; step < 400; ++step) {
    std::string what;
    switch (pick(9)) {
      case 0:
      case 1: {
        const std::string& command = commands[pick(commands.size())];
        // Tagged tasks share one of two tags, so some are deferred.
        what = "queue " + command;
        auto r =
            q->QueueTask(command + " t" + std::to_string(pick(2)) + " " + std::to_string(step));
        ASSERT_TQ_OK(r);
        ids.push_back(r->id);
        break;
      }
      case 2:
        what = "claim";
        if (const int64_t id = Claim(*q); id != 0) running.push_back(id);
        break;
      case 3:
      case 4: {
        // One turn of a daemon: every run that ended, then the next claims.
        what = "finish and claim";
        std::vector<FinishedTask> finished;
        while (!running.empty() && finished.size() < 2) {
          const size_t i = pick(running.size());
          finished.push_back({running[i], outcome()});
          running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        }
        auto claimed = q->FinishAndClaim(finished, {}, 1 + static_cast<int64_t>(pick(2)));
        ASSERT_TQ_OK(claimed);
        for (const auto& t : *claimed) running.push_back(t.id);
        break;
      }
      case 5:
        what = "retry or remove";
        if (!ids.empty()) {
          const int64_t id = ids[pick(ids.size())];
          if (pick(2) == 0) {
            (void)q->Retry(id);  // refused unless finished: fine
          } else {
            (void)q->Remove(id);  // refused while processing: fine
          }
        }
        break;
      case 6:
        what = "set state";
        if (!ids.empty()) {
          const TaskState states[] = {TaskState::kWaiting, TaskState::kProcessing,
                                      TaskState::kComplete, TaskState::kFailed,
                                      TaskState::kScheduled};
          (void)q->SetState(ids[pick(ids.size())], states[pick(5)]);
        }
        break;
      case 7: {
        what = "promote due retries";
        clock_.AdvanceMillis(1500);
        ASSERT_TQ_OK(sched->ProcessReadyTasks(*q));
        break;
      }
      default:
        what = "prune history";
        ASSERT_TQ_OK(q->SetSetting("keep_complete_count", std::to_string(1 + pick(20))));
        ASSERT_TQ_OK(q->PruneHistory());
        break;
    }
    ExpectExact(*q, "step " + std::to_string(step) + " (" + what + ")");
    if (::testing::Test::HasFailure()) return;
    const std::string now = ActualCounts(QueueFile());
    for (int state : {1, 2, 3, 4, 5}) {
      if (now.find(":" + std::to_string(state) + "=") != std::string::npos) seen.insert(state);
    }
    if (std::filesystem::exists(SchedFile()) && !ActualCounts(SchedFile()).empty()) {
      seen.insert(6);
    }
  }
  // The run went through every state, the scheduler's included.
  EXPECT_EQ(seen, (std::set<int>{1, 2, 3, 4, 5, 6}));
}

// The store alone, with one waiting task "alpha" in a queue file q.
class StoreCountsTest : public ::testing::Test {
 protected:
  void OpenWithOneWaitingTask() {
    state::StoreOptions options;
    options.state_dir = dir_.path();
    options.name = "q";
    auto store = state::Store::OpenSqlite(options);
    ASSERT_TQ_OK(store);
    store_ = std::move(store).value();
    task_.command = "alpha";
    task_.argstring = "alpha";
    ASSERT_TQ_OK(store_->WithQueue(true, [&](state::QueueTxn& txn) {
      task_.id = txn.AllocateId();
      task_.seq = txn.AllocateSeq();
      txn.Insert(task_, "");
      return Status::OK();
    }));
  }
  TempDir dir_;
  std::unique_ptr<state::Store> store_;
  Task task_;
};

// Within one transaction a task's change of state is counted when the
// transaction ends, and a delete is counted at once by the table's
// trigger: deleting a task whose state changed earlier in the same
// transaction must leave no count behind.
TEST_F(StoreCountsTest, AChangeAndADeleteInOneTransactionAreBothCounted) {
  ASSERT_NO_FATAL_FAILURE(OpenWithOneWaitingTask());
  ASSERT_TQ_OK(store_->WithQueue(true, [&](state::QueueTxn& txn) {
    task_.state = TaskState::kProcessing;
    txn.Update(task_);
    txn.Delete(task_.id);
    return Status::OK();
  }));
  const auto file = dir_.path() / "q_queue.db";
  EXPECT_EQ(StoredCounts(file), "");
  EXPECT_EQ(ActualCounts(file), "");
}

// A task changed twice in one transaction (a deferred task resumed and
// claimed in one turn) is counted from where it was to where it ends.
TEST_F(StoreCountsTest, TwoChangesOfOneTaskInOneTransactionAreCountedInTurn) {
  ASSERT_NO_FATAL_FAILURE(OpenWithOneWaitingTask());
  ASSERT_TQ_OK(store_->WithQueue(true, [&](state::QueueTxn& txn) {
    task_.state = TaskState::kProcessing;
    txn.Update(task_);
    task_.state = TaskState::kComplete;
    txn.Update(task_);
    return Status::OK();
  }));
  const auto file = dir_.path() / "q_queue.db";
  EXPECT_EQ(StoredCounts(file), "alpha:4=1");
  EXPECT_EQ(ActualCounts(file), "alpha:4=1");
}

// A transaction sees its own changes of state counted; one that fails
// counts nothing: its changes are rolled back, and so must be what they
// would have added to the counts.
TEST_F(StoreCountsTest, ATransactionSeesItsChangesCountedAndAFailedOneCountsNothing) {
  ASSERT_NO_FATAL_FAILURE(OpenWithOneWaitingTask());
  const Status failed = store_->WithQueue(true, [&](state::QueueTxn& txn) {
    task_.state = TaskState::kComplete;
    txn.Update(task_);
    // The transaction itself sees its change counted.
    EXPECT_EQ(txn.Count(TaskState::kComplete, ""), 1);
    EXPECT_EQ(txn.Count(TaskState::kWaiting, "alpha"), 0);
    return Status::Aborted("changed my mind");
  });
  EXPECT_EQ(failed.code(), Status::Code::kAborted);
  ASSERT_TQ_OK(store_->WithQueue(true, [&](state::QueueTxn& txn) {
    EXPECT_EQ(txn.Count(TaskState::kWaiting, ""), 1);
    EXPECT_EQ(txn.Count(TaskState::kComplete, ""), 0);
    return Status::OK();
  }));
  const auto file = dir_.path() / "q_queue.db";
  EXPECT_EQ(StoredCounts(file), "alpha:1=1");
}

// Up to version 4 a trigger counted changes of state. Such a file, with
// counts that drifted (an older daemon kept running while a newer program
// upgraded the file), is upgraded to exact counts and loses the trigger, so
// that a change is not counted twice.
TEST_F(QueueCountsTest, AVersion4FileIsUpgradedToExactCountsWithoutItsTrigger) {
  Register("alpha");
  {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
    RunOne(*q, "alpha 1", Success());
    Enqueue(*q, "alpha 2");
    Enqueue(*q, "alpha 3");
    ScheduleOptions later;
    later.delay_seconds = 3600;
    ASSERT_TQ_OK(Scheduler::ForQueue(*q)->ScheduleTask("alpha 4", later));
  }
  const std::string v4_trigger =
      "CREATE TRIGGER tasks_count_update AFTER UPDATE OF state ON tasks "
      "WHEN OLD.state <> NEW.state BEGIN "
      "UPDATE counts SET n = n - 1 WHERE command = OLD.command AND state = OLD.state; "
      "INSERT INTO counts(command, state, n) VALUES (NEW.command, NEW.state, 1) "
      "ON CONFLICT(command, state) DO UPDATE SET n = n + 1; END;";
  for (const auto& file : {QueueFile(), SchedFile()}) {
    ExecSql(file, v4_trigger + "UPDATE counts SET n = n + 7; PRAGMA user_version=4;");
    ASSERT_NE(StoredCounts(file), ActualCounts(file));
  }
  {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
    auto counts = q->Counts();
    ASSERT_TQ_OK(counts);
    EXPECT_EQ(counts->waiting, 2);
    EXPECT_EQ(counts->complete, 1);
    EXPECT_EQ(counts->scheduled, 1);
    const int64_t next = Claim(*q);
    ASSERT_NE(next, 0);
    ASSERT_TQ_OK(q->FinishTask(next, Success()));
    ExpectExact(*q, "after a run on the upgraded file");
  }
  for (const auto& file : {QueueFile(), SchedFile()}) {
    EXPECT_EQ(QueryText(file,
                        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
                        "name = 'tasks_count_update'"),
              "0")
        << file;
    EXPECT_EQ(QueryText(file, "PRAGMA user_version"), "5") << file;
  }
}

}  // namespace
}  // namespace taskqueue
