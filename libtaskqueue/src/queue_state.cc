// Queue::SetState: moving a task that is not running to another state by
// hand, for Kue's PUT /job/:id/state/:state. The daemon alone starts and
// finishes runs, so "active" means "first in line" and complete/failed mean
// "finished without a run" (see the contract in queue.h).
//
// A task in the queue file changes in one transaction. A task that crosses
// files goes to its destination first and leaves its source second, under
// the cross-file lock, as promotions and retries do.

#include <nlohmann/json.hpp>

#include "engine.h"

namespace taskqueue {
namespace {

using nlohmann::json;

std::string Running(const Task& t) {
  return "Task " + t.uuid() + " is running; its state cannot change until the run ends";
}

// Clears what earlier runs left, as Retry does, for a task that will run again.
void ResetForRerun(Task& t) {
  t.attempts_made = 0;
  t.error.clear();
  t.exit_status.reset();
  t.term_signal.reset();
  t.started_at.reset();
  t.finished_at.reset();
  t.progress = 0;
}

// Makes the waiting task `t` first in run order (priority, then seq): ahead
// of the current head, taking the head's priority when that runs earlier.
void PlaceAtHead(state::QueueTxn& txn, Task& t) {
  std::vector<Task> head = txn.WaitingInOrder(std::nullopt, 1);
  if (head.empty() || head[0].id == t.id) return;
  if (t.priority < head[0].priority) return;  // already ahead
  t.priority = head[0].priority;
  t.seq = head[0].seq - 1;
}

// Finishes `t` as complete or failed without a run.
void Finish(Engine& e, state::QueueTxn& txn, Task& t, TaskState target) {
  t.state = target;
  t.finished_at = e.Now();
  if (target == TaskState::kComplete) {
    t.error.clear();
  } else if (t.error.empty()) {
    t.error = "set to failed by hand, without a run";
  }
  txn.IndexText(t.id, Engine::SearchText(t));
  if (target == TaskState::kComplete) {
    e.Emit(txn, "complete", t.id, nlohmann::json{{"result", t.result}, {"by_hand", true}});
  } else {
    e.Emit(txn, "failed", t.id,
           nlohmann::json{{"error", t.error}, {"exit_status", nullptr}, {"by_hand", true}});
  }
}

// Applies `target` (not kScheduled) to `t`, a task of the queue file that is
// not processing, inside `txn`.
void ApplyInQueue(Engine& e, state::QueueTxn& txn, Task t, TaskState target) {
  const bool pending = t.state == TaskState::kWaiting || t.state == TaskState::kDeferred;
  switch (target) {
    case TaskState::kWaiting:
      if (pending) return;
      ResetForRerun(t);
      t.state = TaskState::kWaiting;
      t.seq = txn.AllocateSeq();
      t.run_at = e.Now();
      txn.Update(t);
      txn.IndexText(t.id, Engine::SearchText(t));
      e.Emit(txn, "retry", t.id);
      return;
    case TaskState::kProcessing: {
      const char* event = pending ? "promotion" : "retry";
      if (!pending) {
        ResetForRerun(t);
        t.seq = txn.AllocateSeq();
        t.run_at = e.Now();
        txn.IndexText(t.id, Engine::SearchText(t));
      }
      t.state = TaskState::kWaiting;  // a deferred one is checked again at claim
      PlaceAtHead(txn, t);
      txn.Update(t);
      e.Emit(txn, event, t.id, nlohmann::json{{"head", true}, {"priority", t.priority}});
      return;
    }
    case TaskState::kComplete:
    case TaskState::kFailed:
      if (t.state == target) return;
      Finish(e, txn, t, target);
      txn.Update(t);
      return;
    case TaskState::kScheduled:
    case TaskState::kDeferred:
      return;  // handled by the caller
  }
}

// What happened to a task looked for in the scheduler file.
enum class SchedOutcome { kDone, kNotThere };

// Applies `target` to the scheduled task `id`. kNotThere when it is not in
// the scheduler any more (promoted meanwhile, or never there).
Result<SchedOutcome> ApplyToScheduled(Engine& e, int64_t id, TaskState target) {
  SchedOutcome outcome = SchedOutcome::kNotThere;
  Status st = e.store().WithCrossFileLock([&]() -> Status {
    outcome = SchedOutcome::kNotThere;
    std::optional<Task> scheduled;
    TQ_RETURN_IF_ERROR(e.store().WithSched(false, [&](state::SchedTxn& txn) {
      scheduled = txn.Get(id);
      return Status::OK();
    }));
    if (!scheduled) return Status::OK();
    outcome = SchedOutcome::kDone;
    if (target == TaskState::kScheduled) return Status::OK();
    bool leftover = false;  // a copy already in the queue file: a crashed move
    TQ_RETURN_IF_ERROR(e.store().WithQueue(true, [&](state::QueueTxn& txn) {
      leftover = txn.Get(id).has_value();
      if (leftover) return Status::OK();
      Task t = *scheduled;
      if (target == TaskState::kWaiting) {
        // Exactly what its promotion would have done, now.
        (void)e.EnqueueExisting(txn, t);
        return Status::OK();
      }
      t.seq = txn.AllocateSeq();
      t.run_at = e.Now();
      if (target == TaskState::kProcessing) {
        // Asked for by id: no dupe or override hooks, straight to the head.
        t.state = TaskState::kWaiting;
        PlaceAtHead(txn, t);
        e.Emit(txn, "promotion", t.id, nlohmann::json{{"head", true}, {"priority", t.priority}});
      } else {
        Finish(e, txn, t, target);
      }
      txn.Insert(t, DupeKey(t.command, t.args));
      txn.IndexText(t.id, Engine::SearchText(t));
      return Status::OK();
    }));
    TQ_RETURN_IF_ERROR(e.store().WithSched(true, [&](state::SchedTxn& txn) {
      txn.Delete(id);
      return Status::OK();
    }));
    // The queue's copy wins, as at promotion; the caller applies the state to it.
    if (leftover) outcome = SchedOutcome::kNotThere;
    return Status::OK();
  });
  if (!st.ok()) return st;
  return outcome;
}

}  // namespace

Status Queue::SetState(int64_t id, TaskState target) {
  if (target == TaskState::kDeferred) {
    return Status::InvalidArgument(
        "A task cannot be set deferred: the queue defers a waiting task itself while one of its "
        "deferral tags is held by a running task");
  }
  Engine& e = *engine_;
  // A task may cross files while we look (a promotion): look again, a little.
  for (int round = 0; round < 3; ++round) {
    std::optional<Task> queued;
    TQ_RETURN_IF_ERROR(e.store().WithQueue(true, [&](state::QueueTxn& txn) {
      queued = txn.Get(id);
      if (!queued) return Status::OK();
      if (queued->state == TaskState::kProcessing) return Status::InvalidArgument(Running(*queued));
      if (target != TaskState::kScheduled) ApplyInQueue(e, txn, *queued, target);
      return Status::OK();
    }));
    if (queued && target != TaskState::kScheduled) return Status::OK();
    if (queued) {
      Task t = *queued;
      const TaskState from = t.state;
      if (t.finished()) ResetForRerun(t);
      const int64_t run_at = e.Now();
      return e.MoveToScheduler(
          t, run_at, from, "schedule",
          nlohmann::json{
              {"command", t.full_command()}, {"run_at", run_at}, {"from", TaskStateName(from)}},
          /*strict=*/true);
    }
    Result<SchedOutcome> sched = ApplyToScheduled(e, id, target);
    if (!sched.ok()) return sched.status();
    if (*sched == SchedOutcome::kDone) return Status::OK();
  }
  return Status::NotFound("No task " + std::to_string(id));
}

}  // namespace taskqueue
