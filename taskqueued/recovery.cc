#include "recovery.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <set>

#include "child_spawn.h"
#include "finished_run.h"
#include "process_info.h"
#include "run_limits.h"
#include "waker.h"

namespace taskqueue::daemon {
namespace {

// A process that exists and is not a zombie.
bool Running(pid_t pid) {
  auto st = ReadProcStat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

}  // namespace

Result<RecoveryReport> RecoverProcessingTasks(
    Queue& queue, ChildSupervisor& supervisor,
    const std::map<int64_t, SpawnJournal::Entry>& journal) {
  RecoveryReport report;
  auto tasks = queue.ProcessingTasks();
  if (!tasks.ok()) return tasks.status();
  auto settings = queue.Settings();
  if (!settings.ok()) return settings.status();
  const pid_t me = ::getpid();
  std::set<int64_t> processing;
  for (const auto& task : *tasks) processing.insert(task.id);
  // A child started before its claim's commit, by a daemon that died
  // before the commit: the task still waits in the file, at the seq and
  // attempt count the claim found, which the note names. It is claimed now,
  // and then treated as every other run whose pid only the journal knows.
  // Notes of earlier runs of the task do not match its state any more.
  for (const auto& [id, note] : journal) {
    if (note.attempt <= 0 || processing.count(id) != 0) continue;
    auto claimed = queue.ClaimStarted(id, note.seq, note.attempt - 1);
    if (claimed.ok()) {
      spdlog::info("task {} started as pid {} just before its daemon died; claimed again", id,
                   note.pid);
      tasks->push_back(*claimed);
    } else if (claimed.status().code() != Status::Code::kNotFound) {
      return claimed.status();
    }
  }
  for (Task task : *tasks) {
    // A pid only the journal knows: the daemon died before committing it.
    // A note of an earlier attempt tells nothing of this one.
    auto noted = journal.find(task.id);
    const bool from_journal =
        task.pid == 0 && noted != journal.end() &&
        (noted->second.attempt == 0 || noted->second.attempt == task.attempts_made);
    if (from_journal) {
      task.pid = noted->second.pid;
      task.pid_start_time = noted->second.start_time;
      task.boot_id = BootId();
    }
    const std::string label = RunLabel(task);
    const bool this_boot = task.boot_id == BootId();
    // We hold the daemon lock, so no other daemon runs this queue: a live
    // runner is a CLI or library process doing its own work.
    if (this_boot && task.runner_pid > 0 && task.runner_pid != me &&
        Running(static_cast<pid_t>(task.runner_pid))) {
      spdlog::info("{} is being run by live process {}; leaving it alone", label, task.runner_pid);
      ++report.left_alone;
      continue;
    }
    auto processor = queue.registry().Find(task.command);
    auto child_processor = processor && processor->kind() == Processor::Kind::kChild
                               ? std::static_pointer_cast<const ChildProcessor>(processor)
                               : nullptr;
    RunOutcome outcome;
    if (task.pid > 0 &&
        IsSameProcess(static_cast<pid_t>(task.pid), task.pid_start_time, task.boot_id)) {
      auto stat = ReadProcStat(static_cast<pid_t>(task.pid));
      if (stat && (stat->comm == kUnreleasedComm || stat->comm == kStartingComm)) {
        // Started and recorded, but its daemon died before it exec'd: it
        // has run nothing yet, and most likely exits by itself. It is
        // killed all the same, so that it cannot run the task beside the
        // retry whatever moment it is at, nor end as a counted attempt.
        ::kill(static_cast<pid_t>(task.pid), SIGKILL);
        outcome.kind = RunOutcome::Kind::kAborted;
        outcome.error = "the daemon died before starting it; it runs again";
      } else {
        const ChildLimits limits = ChildLimitsFor(task, child_processor.get(), *settings);
        const int64_t started = task.started_at.value_or(queue.clock().NowMillis());
        const int64_t left_ms = started + limits.timeout_seconds * 1000 - queue.clock().NowMillis();
        Status adopted =
            from_journal ? queue.SetTaskProcess(task.id, task.pid, task.pid_start_time, BootId())
                         : Status::OK();
        if (adopted.ok()) {
          adopted = supervisor.Adopt(task, child_processor, limits, SteadyMillis() + left_ms);
        }
        if (adopted.ok()) {
          spdlog::info("{} is still running as pid {}; supervising it again", label, task.pid);
          ++report.adopted;
          continue;
        }
        outcome.kind = RunOutcome::Kind::kLost;
        outcome.error = "its process (pid " + std::to_string(task.pid) +
                        ") ended while no daemon supervised it; exit status unknown";
      }
    } else if (task.pid == 0 && child_processor && this_boot) {
      // A child's pid is on record (database or journal) before it may run:
      // none recorded, none ran.
      outcome.kind = RunOutcome::Kind::kAborted;
      outcome.error = "the daemon died before starting it; it runs again";
    } else if (!this_boot) {
      outcome.kind = RunOutcome::Kind::kLost;
      outcome.error = "the machine restarted while it ran";
    } else if (task.pid > 0) {
      outcome.kind = RunOutcome::Kind::kLost;
      outcome.error = "its process (pid " + std::to_string(task.pid) +
                      ") ended while no daemon supervised it; exit status unknown";
    } else {
      outcome.kind = RunOutcome::Kind::kLost;
      outcome.error = "the process running it (pid " + std::to_string(task.runner_pid) +
                      ") died before it finished";
    }
    if (outcome.kind == RunOutcome::Kind::kAborted) {
      spdlog::info("{} never started; it waits again", label);
      ++report.requeued;
    } else {
      spdlog::warn("{}: {}; retried or failed by its policy", label, outcome.error);
      ++report.lost;
    }
    TQ_RETURN_IF_ERROR(queue.FinishTask(task.id, outcome));
  }
  return report;
}

}  // namespace taskqueue::daemon
