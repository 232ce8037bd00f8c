// The scheduler's side of the engine: scheduling, promotion of due tasks and
// retries. A task moving between the two files is written to its
// destination first and removed from its source second, under the
// cross-file lock, so a crash in between leaves two copies (resolved the
// next time the task is promoted or recovered), never none.

#include <nlohmann/json.hpp>

#include "engine.h"

namespace taskqueue {

Result<Task> Engine::Schedule(std::string_view command, const ScheduleOptions& options) {
  const Processor* processor = nullptr;
  auto built = BuildTask(command, options.task, &processor);
  if (!built.ok()) return built.status();
  Task task = std::move(built).value();
  if (!processor->IsValidArgs(task)) {
    return Status::InvalidArgument("Requested command [" + task.full_command() +
                                   "] has invalid arguments.");
  }
  task.ns = "TaskQueue-Scheduler";
  task.state = TaskState::kScheduled;
  task.run_at = options.at_millis ? *options.at_millis : Now() + options.delay_seconds * 1000;
  TQ_RETURN_IF_ERROR(store_->WithQueue(true, [&](state::QueueTxn& txn) {
    task.id = txn.AllocateId();
    task.seq = txn.AllocateSeq();
    Emit(txn, "schedule", task.id,
         nlohmann::json{{"command", task.full_command()}, {"run_at", *task.run_at}});
    return Status::OK();
  }));
  TQ_RETURN_IF_ERROR(store_->WithSched(true, [&](state::SchedTxn& txn) {
    txn.Insert(task, "");
    return Status::OK();
  }));
  return task;
}

Status Engine::MoveToScheduler(Task task, int64_t run_at) {
  const nlohmann::json data =
      nlohmann::json{{"error", task.error}, {"attempt", task.attempts_made}, {"retry_at", run_at}};
  return MoveToScheduler(std::move(task), run_at, TaskState::kProcessing, "failed_attempt", data,
                         /*strict=*/false);
}

Status Engine::MoveToScheduler(Task task, int64_t run_at, TaskState from, const std::string& event,
                               const nlohmann::json& event_data, bool strict) {
  return store_->WithCrossFileLock([&]() -> Status {
    Task scheduled = task;
    scheduled.state = TaskState::kScheduled;
    scheduled.run_at = run_at;
    scheduled.pid = 0;
    scheduled.pid_start_time = 0;
    scheduled.runner_pid = 0;
    scheduled.deferral_tags.clear();
    TQ_RETURN_IF_ERROR(store_->WithSched(true, [&](state::SchedTxn& txn) {
      txn.Insert(scheduled, "");
      return Status::OK();
    }));
    std::optional<std::string> moved_away;  // what it is now, if not in `from`
    TQ_RETURN_IF_ERROR(store_->WithQueue(true, [&](state::QueueTxn& txn) {
      moved_away.reset();
      auto current = txn.Get(task.id);
      if (current && current->state == from) {
        txn.Delete(task.id);
      } else if (strict) {
        moved_away = current ? TaskStateName(current->state) : "gone";
        return Status::OK();
      }
      Emit(txn, event, task.id, event_data);
      if (from == TaskState::kProcessing) ResumeDeferred(txn);  // its tags are released
      return Status::OK();
    }));
    if (!moved_away) return Status::OK();
    TQ_RETURN_IF_ERROR(store_->WithSched(true, [&](state::SchedTxn& txn) {
      txn.Delete(task.id);
      return Status::OK();
    }));
    return Status::Aborted("Task " + task.uuid() + " changed meanwhile: it is " + *moved_away +
                           " now");
  });
}

Result<int64_t> Engine::PromoteDue(Queue& queue) {
  (void)queue;  // the queue shares this engine's files
  int64_t moved = 0;
  Status st = store_->WithCrossFileLock([&]() -> Status {
    for (;;) {
      std::vector<Task> due;
      TQ_RETURN_IF_ERROR(store_->WithSched(false, [&](state::SchedTxn& txn) {
        due = txn.Due(Now(), 500);
        return Status::OK();
      }));
      if (due.empty()) return Status::OK();
      TQ_RETURN_IF_ERROR(store_->WithQueue(true, [&](state::QueueTxn& txn) {
        for (const auto& t : due) {
          // Already in the queue: a promotion interrupted by a crash after
          // its queue write. Only the schedule entry is left to remove.
          if (txn.Get(t.id)) continue;
          (void)EnqueueExisting(txn, t);
        }
        return Status::OK();
      }));
      TQ_RETURN_IF_ERROR(store_->WithSched(true, [&](state::SchedTxn& txn) {
        for (const auto& t : due) txn.Delete(t.id);
        return Status::OK();
      }));
      moved += static_cast<int64_t>(due.size());
    }
  });
  if (!st.ok()) return st;
  return moved;
}

Result<std::vector<std::string>> Engine::FlushAll() {
  std::vector<std::string> queued;
  Status st = store_->WithCrossFileLock([&]() -> Status {
    std::vector<Task> all;
    TQ_RETURN_IF_ERROR(store_->WithSched(false, [&](state::SchedTxn& txn) {
      all = txn.InTimeOrder(0);
      return Status::OK();
    }));
    if (all.empty()) return Status::OK();
    TQ_RETURN_IF_ERROR(store_->WithQueue(true, [&](state::QueueTxn& txn) {
      for (const auto& t : all) {
        if (txn.Get(t.id)) continue;
        auto o = EnqueueExisting(txn, t);
        if (o.status.ok() && !o.duplicate) queued.push_back(t.uuid());
      }
      return Status::OK();
    }));
    return store_->WithSched(true, [&](state::SchedTxn& txn) {
      for (const auto& t : all) txn.Delete(t.id);
      return Status::OK();
    });
  });
  if (!st.ok()) return st;
  return queued;
}

}  // namespace taskqueue
