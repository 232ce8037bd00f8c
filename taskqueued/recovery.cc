#include "recovery.h"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "child_spawn.h"
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

Result<RecoveryReport> RecoverProcessingTasks(Queue& queue, ChildSupervisor& supervisor) {
  RecoveryReport report;
  auto tasks = queue.ProcessingTasks();
  if (!tasks.ok()) return tasks.status();
  auto settings = queue.Settings();
  if (!settings.ok()) return settings.status();
  const pid_t me = ::getpid();
  for (const Task& task : *tasks) {
    const std::string label = "task " + std::to_string(task.id) + " (" + task.full_command() + ")";
    const bool this_boot = task.boot_id == BootId();
    // We hold the daemon lock, so no other daemon runs this queue: a live
    // runner is a CLI or library process doing its own work.
    if (this_boot && task.runner_pid > 0 && task.runner_pid != me &&
        Running(static_cast<pid_t>(task.runner_pid))) {
      spdlog::info("{} is being run by live process {}; leaving it alone", label,
                   task.runner_pid);
      ++report.left_alone;
      continue;
    }
    auto processor = queue.registry().Find(task.command);
    auto child_processor =
        processor && processor->kind() == Processor::Kind::kChild
            ? std::static_pointer_cast<const ChildProcessor>(processor)
            : nullptr;
    RunOutcome outcome;
    if (task.pid > 0 && IsSameProcess(static_cast<pid_t>(task.pid), task.pid_start_time,
                                      task.boot_id)) {
      auto stat = ReadProcStat(static_cast<pid_t>(task.pid));
      if (stat && stat->comm == kUnreleasedComm) {
        // Forked, recorded, but its daemon died before letting it run: it
        // exits by itself without doing anything.
        outcome.kind = RunOutcome::Kind::kAborted;
        outcome.error = "the daemon died before starting it; it runs again";
      } else {
        const ChildLimits limits = ChildLimitsFor(task, child_processor.get(), *settings);
        const int64_t started = task.started_at.value_or(queue.clock().NowMillis());
        const int64_t left_ms =
            started + limits.timeout_seconds * 1000 - queue.clock().NowMillis();
        Status adopted =
            supervisor.Adopt(task, child_processor, limits, SteadyMillis() + left_ms);
        if (adopted.ok()) {
          spdlog::info("{} is still running as pid {}; supervising it again", label, task.pid);
          ++report.adopted;
          continue;
        }
        outcome.kind = RunOutcome::Kind::kLost;
        outcome.error = "its process (pid " + std::to_string(task.pid) +
                        ") ended while no daemon supervised it; exit status unknown";
      }
    } else if (task.pid == 0 && child_processor) {
      // A child's pid is recorded before it may run: none recorded, none ran.
      outcome.kind = RunOutcome::Kind::kAborted;
      outcome.error = "the daemon died before starting it; it runs again";
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
