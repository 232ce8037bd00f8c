// Running tasks: claiming the next one (priority, FIFO, pause, max_running,
// deferral tags, per-command concurrency), recording how runs end (complete,
// retried through the scheduler, or failed) and finding runs whose
// supervisor died.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine.h"
#include "process_info.h"

namespace taskqueue {
namespace {

// Whether the process that claimed `t` may still finish it. A claim made
// before a reboot has no live runner whatever now holds that pid (pids start
// over at boot), and a zombie will never finish anything.
bool RunnerAlive(const Task& t) {
  if (t.runner_pid <= 0) return false;
  if (!t.boot_id.empty() && t.boot_id != BootId()) return false;
  const auto pid = static_cast<pid_t>(t.runner_pid);
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  return !IsZombie(pid);
}

// A processing task nobody can finish any more: its supervisor is gone and
// so is its child (if it had one).
bool Abandoned(const Task& t) {
  if (RunnerAlive(t)) return false;
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
    std::vector<Task> claimed;
    Status st = store_->WithQueue(true, [&](state::QueueTxn& txn) {
      abandoned.clear();
      claimed = ClaimInTxn(txn, options, me, round == 0 ? &abandoned : nullptr, settings, 1);
      return Status::OK();
    });
    if (!st.ok()) return st;
    if (abandoned.empty()) {
      if (claimed.empty()) return std::optional<Task>();
      return std::optional<Task>(std::move(claimed.front()));
    }
    TQ_RETURN_IF_ERROR(SettleAbandoned(abandoned));
  }
}

Result<std::vector<Task>> Engine::FinishAndClaim(const std::vector<FinishedTask>& finished,
                                                 const ClaimOptions& options, int64_t max_claims) {
  if (options_.record_only) max_claims = 0;
  const int64_t me = getpid();
  for (int round = 0;; ++round) {
    std::vector<Task> abandoned;
    std::vector<Task> claimed;
    FinishFollowUp follow_up;
    auto work = [&](state::QueueTxn& txn) {
      abandoned.clear();
      follow_up = {};
      if (round == 0) {
        for (const auto& f : finished) FinishInTxn(txn, f.id, f.outcome, &follow_up);
      }
      claimed.clear();
      if (max_claims > 0) {
        claimed =
            ClaimInTxn(txn, options, me, round == 0 ? &abandoned : nullptr, nullptr, max_claims);
      }
      if (!claimed.empty() && options.start_before_commit) options.start_before_commit(claimed);
      return Status::OK();
    };
    Status st = options.sync_in_background ? store_->WithQueueSyncLater(work)
                                           : store_->WithQueue(true, work);
    if (!st.ok()) return st;
    // The claims are committed: they must reach the caller even if a retry
    // could not be moved to the scheduler (that task stays processing, as
    // after a failed FinishTask, until recovery settles it).
    const Status moved = ApplyFollowUp(follow_up);
    if (!moved.ok() && !claimed.empty()) return claimed;
    TQ_RETURN_IF_ERROR(moved);
    if (abandoned.empty()) return claimed;
    TQ_RETURN_IF_ERROR(SettleAbandoned(abandoned));
  }
}

Status Engine::SettleAbandoned(const std::vector<Task>& abandoned) {
  // Runs whose supervisor died without a trace are settled first, so they
  // neither count against max_running nor hold deferral tags for ever.
  for (const auto& t : abandoned) {
    RunOutcome lost;
    lost.kind = RunOutcome::Kind::kLost;
    lost.error = "The process running this task is gone (supervisor " +
                 std::to_string(t.runner_pid) + " died).";
    TQ_RETURN_IF_ERROR(FinishTask(t.id, lost));
  }
  return Status::OK();
}

std::vector<Task> Engine::ClaimInTxn(state::QueueTxn& txn, const ClaimOptions& options, int64_t me,
                                     std::vector<Task>* abandoned, QueueSettings* settings_out,
                                     int64_t max_claims) {
  std::vector<Task> claimed;
  const auto meta = txn.AllMeta();
  const QueueSettings settings = SettingsFrom(meta);
  if (settings_out) *settings_out = settings;
  if (auto p = meta.find("paused"); p != meta.end() && p->second == "1") return claimed;
  int64_t max_running = settings.max_running;
  if (options.max_running > 0 && options.max_running < max_running) {
    max_running = options.max_running;
  }
  auto running = txn.InState(TaskState::kProcessing, 0);
  if (abandoned) {
    for (const auto& r : running) {
      if (r.runner_pid != me && Abandoned(r)) abandoned->push_back(r);
    }
    if (!abandoned->empty()) return claimed;  // settle them, then claim
  }
  int64_t running_count = static_cast<int64_t>(running.size());
  std::set<std::string> active_tags;
  std::map<std::string, int> running_per_command;
  for (const auto& r : running) {
    active_tags.insert(r.deferral_tags.begin(), r.deferral_tags.end());
    ++running_per_command[r.command];
  }
  std::optional<std::pair<int, int64_t>> cursor;
  // The head of the queue is almost always the answer: read as many rows as
  // may start (at most two) and read wider only while tasks are deferred or
  // capped. (A row read is a row decoded: a daemon's turn frees one slot.)
  int64_t batch_size =
      std::max<int64_t>(1, std::min<int64_t>({2, max_running - running_count, max_claims}));
  while (running_count < max_running && static_cast<int64_t>(claimed.size()) < max_claims) {
    auto batch = txn.WaitingInOrder(cursor, batch_size);
    batch_size = std::min<int64_t>(batch_size * 4, 64);
    if (batch.empty()) break;
    for (auto& t : batch) {
      if (running_count >= max_running || static_cast<int64_t>(claimed.size()) >= max_claims) {
        break;
      }
      cursor = std::make_pair(t.priority, t.seq);
      auto processor = registry_->Find(t.command);
      // A command whose plugin failed to load waits for the plugin to be
      // mended (and reloaded); one defined nowhere cannot run, and would
      // otherwise block the queue.
      if (!processor && registry_->FailedDefinition(t.command)) continue;
      if (!processor) {
        t.state = TaskState::kFailed;
        t.finished_at = Now();
        t.error = "No processor found for '" + t.full_command() + "'.";
        txn.Update(t);
        txn.IndexText(t.id, SearchText(t));
        Emit(txn, "failed", t.id, nlohmann::json{{"error", t.error}});
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
      MarkClaimed(txn, t, processor.get(), options.runner_pid > 0 ? options.runner_pid : me);
      // Later claims in this transaction see this one running.
      ++running_count;
      ++running_per_command[t.command];
      active_tags.insert(t.deferral_tags.begin(), t.deferral_tags.end());
      claimed.push_back(t);
    }
  }
  return claimed;
}

void Engine::MarkClaimed(state::QueueTxn& txn, Task& t, const Processor* processor,
                         int64_t runner_pid) {
  t.state = TaskState::kProcessing;
  t.started_at = Now();
  t.finished_at.reset();
  t.attempts_made += 1;
  t.runner_pid = runner_pid;
  t.pid = 0;
  t.pid_start_time = 0;
  t.boot_id = BootId();
  t.deferral_tags = processor ? processor->DeferralTags(t) : std::vector<std::string>{};
  txn.Update(t);
  Emit(txn, "start", t.id, nlohmann::json{{"attempt", t.attempts_made}});
}

Result<Task> Engine::ClaimStarted(int64_t id, int64_t seq, int64_t attempts_made,
                                  const ClaimOptions& options) {
  Task claimed;
  TQ_RETURN_IF_ERROR(store_->WithQueue(true, [&](state::QueueTxn& txn) {
    auto t = txn.Get(id);
    if (!t || (t->state != TaskState::kWaiting && t->state != TaskState::kDeferred) ||
        t->seq != seq || t->attempts_made != attempts_made) {
      return Status::NotFound("Task " + std::to_string(id) +
                              " is not waiting as the lost claim found it");
    }
    auto processor = registry_->Find(t->command);
    MarkClaimed(txn, *t, processor.get(), options.runner_pid > 0 ? options.runner_pid : getpid());
    claimed = *t;
    return Status::OK();
  }));
  return claimed;
}

Status Engine::SetTaskProcess(int64_t id, int64_t pid, int64_t start_time,
                              const std::string& boot_id) {
  // Its loss in a power cut costs nothing: the child dies with the machine.
  return store_->WithQueueSyncLater([&](state::QueueTxn& txn) {
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
  FinishFollowUp follow_up;
  Status st = store_->WithQueue(true, [&](state::QueueTxn& txn) {
    follow_up = {};
    FinishInTxn(txn, id, outcome, &follow_up);
    return Status::OK();
  });
  if (!st.ok()) return st;
  return ApplyFollowUp(follow_up);
}

Status Engine::ApplyFollowUp(const FinishFollowUp& follow_up) {
  for (int64_t id : follow_up.removed_output) {
    std::error_code ec;
    std::filesystem::remove(OutputPath(id), ec);
  }
  Status first;
  for (const auto& [task, run_at] : follow_up.retries) {
    Status st = MoveToScheduler(task, run_at);
    if (first.ok()) first = st;
  }
  return first;
}

void Engine::FinishInTxn(state::QueueTxn& txn, int64_t id, const RunOutcome& outcome,
                         FinishFollowUp* follow_up) {
  auto found = txn.Get(id);
  // Finishing twice (a recovery racing a supervisor) changes nothing.
  if (!found || found->state != TaskState::kProcessing) return;
  Task t = *found;
  const int64_t now = Now();
  if (t.started_at && now > *t.started_at) txn.AddWorkTime(t.command, now - *t.started_at);
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
      follow_up->removed_output.push_back(t.id);
    } else {
      txn.Update(t);
    }
    Emit(txn, "complete", t.id, nlohmann::json{{"result", t.result}});
  } else if (outcome.kind == K::kAborted) {
    // Interrupted by a shutdown: runs again, and the attempt is not counted.
    t.state = TaskState::kWaiting;
    t.attempts_made = t.attempts_made > 0 ? t.attempts_made - 1 : 0;
    t.started_at.reset();
    t.runner_pid = 0;
    txn.Update(t);
    Emit(txn, "interrupted", t.id, nlohmann::json{{"error", outcome.error}});
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
      int64_t delay = t.backoff.empty() ? (processor ? processor->RescheduleDelay() : 900)
                                        : t.backoff.DelaySeconds(t.attempts_made + 1);
      t.finished_at.reset();
      follow_up->retries.emplace_back(t, now + delay * 1000);
      return;  // moved after the commit, under the cross-file lock
    }
    t.state = TaskState::kFailed;
    t.finished_at = now;
    txn.Update(t);
    txn.IndexText(t.id, SearchText(t));
    Emit(txn, "failed", t.id,
         nlohmann::json{
             {"error", t.error},
             {"exit_status", t.exit_status ? nlohmann::json(*t.exit_status) : nlohmann::json()}});
  }
  ResumeDeferred(txn);
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
    // Tasks held for a plugin that failed to load cannot start: counting
    // them would keep such a loop spinning until the plugin is mended.
    for (const std::string& held : registry_->FailedCommands()) {
      if (waiting <= 0) break;
      waiting -= txn.Count(TaskState::kWaiting, held);
    }
    work = processing < settings.max_running && waiting > 0;
    return Status::OK();
  });
  if (!st.ok()) return st;
  return work;
}

}  // namespace taskqueue
