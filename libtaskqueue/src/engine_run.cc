// Running tasks: claiming the next one (priority, FIFO, pause, max_running,
// deferral tags, per-command concurrency), recording how runs end (complete,
// retried through the scheduler, or failed) and finding runs whose
// supervisor died.

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine.h"
#include "process_info.h"

namespace taskqueue {
namespace {

bool RunnerAlive(int64_t runner_pid) {
  if (runner_pid <= 0) return false;
  return kill(static_cast<pid_t>(runner_pid), 0) == 0 || errno == EPERM;
}

// A processing task nobody can finish any more: its supervisor is gone and
// so is its child (if it had one).
bool Abandoned(const Task& t) {
  if (RunnerAlive(t.runner_pid)) return false;
  if (t.pid > 0 && IsSameProcessAlive(static_cast<pid_t>(t.pid), t.pid_start_time, t.boot_id)) {
    return false;  // still running; a restarted daemon adopts it
  }
  return true;
}

}  // namespace

Result<std::optional<Task>> Engine::ClaimNext(const ClaimOptions& options,
                                              QueueSettings* settings) {
  if (options_.record_only) return std::optional<Task>();
  const int64_t me = getpid();
  for (int round = 0;; ++round) {
    std::vector<Task> abandoned;
    auto claimed = TryClaim(options, me, round == 0 ? &abandoned : nullptr, settings);
    if (!claimed.ok() || abandoned.empty()) return claimed;
    // Runs whose supervisor died without a trace are settled first, so they
    // neither count against max_running nor hold deferral tags for ever.
    for (const auto& t : abandoned) {
      RunOutcome lost;
      lost.kind = RunOutcome::Kind::kLost;
      lost.error = "The process running this task is gone (supervisor " +
                   std::to_string(t.runner_pid) + " died).";
      TQ_RETURN_IF_ERROR(FinishTask(t.id, lost));
    }
  }
}

Result<std::optional<Task>> Engine::TryClaim(const ClaimOptions& options, int64_t me,
                                             std::vector<Task>* abandoned,
                                             QueueSettings* settings_out) {
  std::optional<Task> claimed;
  Status st = store_->WithQueue(true, [&](state::QueueTxn& txn) {
    claimed.reset();
    const auto meta = txn.AllMeta();
    const QueueSettings settings = SettingsFrom(meta);
    if (settings_out) *settings_out = settings;
    if (auto p = meta.find("paused"); p != meta.end() && p->second == "1") return Status::OK();
    int64_t max_running = settings.max_running;
    if (options.max_running > 0 && options.max_running < max_running) {
      max_running = options.max_running;
    }
    auto running = txn.InState(TaskState::kProcessing, 0);
    if (abandoned) {
      for (const auto& r : running) {
        if (r.runner_pid != me && Abandoned(r)) abandoned->push_back(r);
      }
      if (!abandoned->empty()) return Status::OK();  // settle them, then claim
    }
    if (static_cast<int64_t>(running.size()) >= max_running) return Status::OK();
    std::set<std::string> active_tags;
    std::map<std::string, int> running_per_command;
    for (const auto& r : running) {
      active_tags.insert(r.deferral_tags.begin(), r.deferral_tags.end());
      ++running_per_command[r.command];
    }
    std::optional<std::pair<int, int64_t>> cursor;
    // The head of the queue is almost always the answer: read a couple of
    // rows first and read wider only while tasks are deferred or capped.
    int64_t batch_size = 2;
    for (;;) {
      auto batch = txn.WaitingInOrder(cursor, batch_size);
      batch_size = std::min<int64_t>(batch_size * 4, 64);
      if (batch.empty()) return Status::OK();
      for (auto& t : batch) {
        cursor = std::make_pair(t.priority, t.seq);
        auto processor = registry_->Find(t.command);
        if (!processor) {
          t.state = TaskState::kFailed;
          t.finished_at = Now();
          t.error = "No processor found for '" + t.full_command() + "'.";
          txn.Update(t);
          txn.IndexText(t.id, SearchText(t));
          Emit(txn, "failed", t.id, nlohmann::json{{"error", t.error}}.dump());
          continue;
        }
        if (processor->IsTaskDeferred(t, active_tags)) {
          t.state = TaskState::kDeferred;
          txn.Update(t);
          Emit(txn, "deferred", t.id);
          continue;
        }
        const int cap = processor->Concurrency();
        if (cap > 0 && running_per_command[t.command] >= cap) continue;
        t.state = TaskState::kProcessing;
        t.started_at = Now();
        t.finished_at.reset();
        t.attempts_made += 1;
        t.runner_pid = options.runner_pid > 0 ? options.runner_pid : me;
        t.pid = 0;
        t.pid_start_time = 0;
        t.boot_id = BootId();
        t.deferral_tags = processor->DeferralTags(t);
        txn.Update(t);
        Emit(txn, "start", t.id, nlohmann::json{{"attempt", t.attempts_made}}.dump());
        claimed = t;
        return Status::OK();
      }
    }
  });
  if (!st.ok()) return st;
  return claimed;
}

Status Engine::SetTaskProcess(int64_t id, int64_t pid, int64_t start_time,
                              const std::string& boot_id) {
  return store_->WithQueue(true, [&](state::QueueTxn& txn) {
    auto t = txn.Get(id);
    if (!t || t->state != TaskState::kProcessing) {
      return Status::NotFound("Task " + std::to_string(id) + " is not processing");
    }
    t->pid = pid;
    t->pid_start_time = start_time;
    t->boot_id = boot_id;
    txn.Update(*t);
    return Status::OK();
  });
}

Status Engine::FinishTask(int64_t id, const RunOutcome& outcome) {
  std::optional<Task> retry;  // set when the task goes back to the scheduler
  int64_t retry_at = 0;
  std::vector<int64_t> removed_output;
  Status st = store_->WithQueue(true, [&](state::QueueTxn& txn) {
    retry.reset();
    auto found = txn.Get(id);
    // Finishing twice (a recovery racing a supervisor) changes nothing.
    if (!found || found->state != TaskState::kProcessing) return Status::OK();
    Task t = *found;
    const int64_t now = Now();
    if (t.started_at) {
      int64_t worked = now - *t.started_at;
      int64_t total = txn.WorkTimeMillis() + (worked > 0 ? worked : 0);
      txn.SetMeta("work_time_ms", std::to_string(total));
    }
    t.exit_status = outcome.exit_status;
    t.term_signal = outcome.term_signal;
    t.pid = 0;
    t.pid_start_time = 0;
    t.deferral_tags.clear();
    using K = RunOutcome::Kind;
    if (outcome.kind == K::kSuccess) {
      t.state = TaskState::kComplete;
      t.finished_at = now;
      t.result = outcome.result;
      t.error.clear();
      if (!t.exit_status) t.exit_status = 0;
      if (t.remove_on_complete) {
        txn.DeleteWithHistory(t.id);
        removed_output.push_back(t.id);
      } else {
        txn.Update(t);
      }
      Emit(txn, "complete", t.id, nlohmann::json{{"result", t.result}}.dump());
    } else if (outcome.kind == K::kAborted) {
      // Interrupted by a shutdown: runs again, and the attempt is not counted.
      t.state = TaskState::kWaiting;
      t.attempts_made = t.attempts_made > 0 ? t.attempts_made - 1 : 0;
      t.started_at.reset();
      t.runner_pid = 0;
      txn.Update(t);
      Emit(txn, "interrupted", t.id, nlohmann::json{{"error", outcome.error}}.dump());
    } else {
      t.error = outcome.error;
      if (t.error.empty()) {
        if (outcome.term_signal) {
          t.error = "killed by signal " + std::to_string(*outcome.term_signal);
        } else if (outcome.exit_status) {
          t.error = "exited with status " + std::to_string(*outcome.exit_status);
        } else {
          t.error = "failed";
        }
      }
      auto processor = registry_->Find(t.command);
      if (outcome.retryable && t.attempts_made < t.attempts_max) {
        int64_t delay = t.backoff.empty()
                            ? (processor ? processor->RescheduleDelay() : 900)
                            : t.backoff.DelaySeconds(t.attempts_made + 1);
        retry_at = now + delay * 1000;
        t.finished_at.reset();
        retry = t;
        return Status::OK();  // moved below, under the cross-file lock
      }
      t.state = TaskState::kFailed;
      t.finished_at = now;
      txn.Update(t);
      txn.IndexText(t.id, SearchText(t));
      Emit(txn, "failed", t.id,
           nlohmann::json{{"error", t.error},
                          {"exit_status", t.exit_status ? nlohmann::json(*t.exit_status)
                                                        : nlohmann::json()}}
               .dump());
    }
    ResumeDeferred(txn);
    return Status::OK();
  });
  if (!st.ok()) return st;
  for (int64_t rid : removed_output) {
    std::error_code ec;
    std::filesystem::remove(OutputPath(rid), ec);
  }
  if (retry) return MoveToScheduler(*retry, retry_at);
  return Status::OK();
}

Result<bool> Engine::HasWorkToDo() {
  // Test mode starts nothing: "work to do" would make a cPanel-style
  // `while (HasWorkToDo()) ProcessNextTask();` loop spin for ever.
  if (options_.record_only) return false;
  bool work = false;
  Status st = store_->WithQueue(false, [&](state::QueueTxn& txn) {
    if (txn.GetMeta("paused").value_or("0") == "1") return Status::OK();
    const auto settings = SettingsFrom(txn);
    int64_t processing = txn.Count(TaskState::kProcessing, "");
    int64_t waiting = txn.Count(TaskState::kWaiting, "");
    work = processing < settings.max_running && waiting > 0;
    return Status::OK();
  });
  if (!st.ok()) return st;
  return work;
}

}  // namespace taskqueue
