#include "child_supervisor.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/wait.h>

#include "child_spawn.h"
#include "output_file.h"
#include "process_info.h"

namespace taskqueue::daemon {
namespace {

// Pidfd tags carry the task id below this bit.
constexpr uint64_t kPidfdTagBit = uint64_t{1} << 62;
// How often a running child's output size is checked.
constexpr int64_t kOutputCheckMillis = 1000;
// How long an adopted child that ended may take to show its status.
constexpr int64_t kStatusWaitMillis = 500;
constexpr int64_t kStatusRetryMillis = 10;
// How long a child runs before its pid is committed (see RecordPids).
constexpr int64_t kPidRecordDelayMillis = 50;

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(sig);
}

}  // namespace

ChildSupervisor::ChildSupervisor(Queue& queue, Waker& waker, SpawnJournal& journal,
                                 std::chrono::milliseconds kill_grace)
    : queue_(queue), waker_(waker), journal_(journal), kill_grace_(kill_grace) {}

ChildSupervisor::~ChildSupervisor() {
  for (auto& [id, run] : runs_) {
    if (run.pidfd.valid()) waker_.Remove(run.pidfd.get());
  }
}

bool ChildSupervisor::IsPidfdTag(uint64_t tag) {
  return (tag & kPidfdTagBit) != 0 && tag < (kPidfdTagBit << 1);
}

Status ChildSupervisor::Start(const Task& task, std::shared_ptr<const ChildProcessor> processor,
                              const ChildLimits& limits, bool before_commit) {
  const std::vector<std::string> argv = processor->Argv(task);
  if (before_commit && argv.empty()) {
    return Status::Aborted("a C++ child processor starts after the claim's commit");
  }
  // A retry's output follows the earlier attempts'.
  auto output =
      OutputFile::Open(queue_.OutputPath(task.id), task.attempts_made <= 1, &spare_outputs_);
  if (!output.ok()) return output.status();
  // Closed when this returns: by then the child has its own copy.
  auto child_output = output->ForChild();
  if (!child_output.ok()) return child_output.status();
  ChildLaunch launch{queue_.state_dir(), queue_.name(), child_output->get()};
  pid_t pid = 0;
  int64_t start_time = 0;
  bool recorded = false;
  if (!argv.empty()) {
    // The usual way: the child notes itself in the journal before exec.
    auto spawned = SpawnChild(task, argv, launch, journal_.fd());
    if (spawned.ok()) {
      journal_.NotedByChild(task.id,
                            {spawned->pid, spawned->start_time, task.attempts_made, task.seq});
      pid = spawned->pid;
      start_time = spawned->start_time;
    } else if (spawned.status().code() != Status::Code::kAborted || before_commit) {
      return spawned.status();
    } else {
      spdlog::warn("{}: {}; committing its pid before it runs instead", RunLabel(task),
                   spawned.status().message());
    }
  }
  if (pid == 0) {
    auto pending = ForkChild(task, *processor, argv, launch);
    if (!pending.ok()) return pending.status();
    pid = pending->pid;
    start_time = ProcessStartTime(pid);
    // The pid must be on record before the child may run: a daemon killed
    // after this point finds it again at restart. The journal is enough for
    // that (a write, no fsync), and the database commit follows in
    // RecordPids(); without the journal, the commit must come first.
    if (!journal_.Note(task.id, {pid, start_time, task.attempts_made, task.seq}).ok()) {
      Status st = queue_.SetTaskProcess(task.id, pid, start_time, BootId());
      if (!st.ok()) {
        pending->go.Reset();  // the child reads end-of-file and exits unrun
        int ignored;
        ::waitpid(pid, &ignored, 0);
        return st;
      }
      recorded = true;
    }
    Release(*pending);
  }
  Run run;
  run.task_id = task.id;
  run.label = RunLabel(task);
  run.pid = pid;
  run.start_time = start_time;
  run.processor = std::move(processor);
  run.timeout_seconds = limits.timeout_seconds;
  run.deadline_ms = SteadyMillis() + limits.timeout_seconds * 1000;
  run.output = std::move(output).value();
  run.output_limit = limits.max_output_bytes;
  run.pid_recorded = recorded;
  run.started_ms = SteadyMillis();
  if (runs_.empty()) next_output_check_ms_ = SteadyMillis() + kOutputCheckMillis;
  by_pid_[pid] = task.id;
  const Run& started = runs_[task.id] = std::move(run);
  spdlog::debug("started {} as pid {}", started.label, pid);
  return Status::OK();
}

Status ChildSupervisor::Adopt(const Task& task, std::shared_ptr<const ChildProcessor> processor,
                              const ChildLimits& limits, int64_t deadline_ms) {
  UniqueFd pidfd = PidfdOpen(static_cast<pid_t>(task.pid));
  if (!pidfd.valid()) {
    return Status::NotFound("pid " + std::to_string(task.pid) + ": " + strerror(errno));
  }
  TQ_RETURN_IF_ERROR(waker_.Add(pidfd.get(), kPidfdTagBit | static_cast<uint64_t>(task.id)));
  Run run;
  run.task_id = task.id;
  run.label = RunLabel(task);
  run.pid = static_cast<pid_t>(task.pid);
  run.start_time = task.pid_start_time;
  run.adopted = true;
  run.pidfd = std::move(pidfd);
  run.processor = std::move(processor);
  run.timeout_seconds = limits.timeout_seconds;
  run.deadline_ms = deadline_ms;
  // Its output may still be an unnamed file only the child holds.
  NameOrphanOutput(run.pid, queue_.OutputPath(task.id));
  auto output = OutputFile::Open(queue_.OutputPath(task.id), /*truncate=*/false);
  if (output.ok()) run.output = std::move(output).value();
  run.output_limit = limits.max_output_bytes;
  if (runs_.empty()) next_output_check_ms_ = SteadyMillis() + kOutputCheckMillis;
  runs_[task.id] = std::move(run);
  return Status::OK();
}

void ChildSupervisor::Signal(Run& run, int sig) {
  // The child is a session (and group) leader: this reaches every process
  // it started that did not leave its group.
  if (::kill(-run.pid, sig) != 0 && errno == ESRCH) {
    // No group (yet, or any more): the leader alone, if it is still there.
    ::kill(run.pid, sig);
  }
}

FinishedRun ChildSupervisor::Finish(Run& run, std::optional<int> wait_status) {
  FinishedRun done;
  done.task_id = run.task_id;
  done.pid = run.pid;
  done.adopted = run.adopted;
  done.label = run.label;
  RunOutcome& o = done.outcome;
  if (wait_status) {
    if (WIFEXITED(*wait_status)) o.exit_status = WEXITSTATUS(*wait_status);
    if (WIFSIGNALED(*wait_status)) o.term_signal = WTERMSIG(*wait_status);
  }
  if (!wait_status) {
    o.kind = RunOutcome::Kind::kLost;
    o.error =
        "exit status unknown: the daemon was restarted while the task ran, and the process "
        "had been reaped before its status could be read";
  } else if (run.stop == Stop::kShutdown) {
    o.kind = RunOutcome::Kind::kAborted;
    o.error = "stopped by a daemon shutdown; it runs again after the restart";
  } else if (run.stop == Stop::kTimeout) {
    o.kind = RunOutcome::Kind::kTimeout;
    o.error = "timed out after " + std::to_string(run.timeout_seconds) +
              " s; its process group got SIGTERM";
    if (o.term_signal == SIGKILL) o.error += ", then SIGKILL";
  } else if (o.term_signal) {
    o.kind = RunOutcome::Kind::kSignal;
    o.error = "killed by signal " + std::to_string(*o.term_signal) + " (" +
              SignalName(*o.term_signal) + ")";
  } else if (o.exit_status.value_or(1) == 0) {
    o.kind = RunOutcome::Kind::kSuccess;
  } else {
    o.kind = RunOutcome::Kind::kFailure;
    o.error = "exited with status " + std::to_string(*o.exit_status);
    o.retryable = run.processor ? run.processor->RetryOnFailure(*o.exit_status) : true;
  }
  run.output.Finish(run.output_limit);
  if (o.kind == RunOutcome::Kind::kSuccess) o.result = run.output.ResultLine();
  spare_outputs_.Offer(std::move(run.output));
  return done;
}

void ChildSupervisor::RecordPids() {
  const int64_t now = SteadyMillis();
  for (auto& [id, run] : runs_) {
    if (run.pid_recorded || now - run.started_ms < kPidRecordDelayMillis) continue;
    // A child that already ended is about to be finished: its pid is of no
    // more use to anyone, and the commit (an fsync) can be saved. Its note
    // stays until its end is committed.
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    if (::waitid(P_PID, static_cast<id_t>(run.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == run.pid) {
      continue;
    }
    Status st = queue_.SetTaskProcess(id, run.pid, run.start_time, BootId());
    if (!st.ok()) spdlog::warn("recording pid {} of {}: {}", run.pid, run.label, st.message());
    run.pid_recorded = st.ok();
    if (run.pid_recorded) journal_.Forget(id, run.pid);
  }
  journal_.Compact();
}

void ChildSupervisor::Discard(int64_t task_id) {
  auto it = runs_.find(task_id);
  if (it == runs_.end()) return;
  const pid_t pid = it->second.pid;
  Signal(it->second, SIGKILL);
  int ignored;
  ::waitpid(pid, &ignored, 0);
  by_pid_.erase(pid);
  runs_.erase(it);
  // Killed first, forgotten after: a crash in between leaves a note for a
  // child that is gone, which a restart counts as a lost attempt, rather
  // than a child no one knows of.
  journal_.Forget(task_id, pid);
  journal_.Sync();
  spdlog::warn("task {}: its claim was rolled back; its child (pid {}) was killed", task_id, pid);
}

std::vector<FinishedRun> ChildSupervisor::Reap() {
  std::vector<FinishedRun> finished;
  // Only our own task children are waited for, by pid, so that a plugin
  // running system() in-process keeps its child's status.
  for (auto it = by_pid_.begin(); it != by_pid_.end();) {
    const pid_t pid = it->first;
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    // Look before reaping: while the child is a zombie its pid cannot be
    // reused, so signalling its group cannot hit a stranger.
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != pid) {
      ++it;
      continue;
    }
    ::kill(-pid, SIGKILL);  // whatever it left in its group
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) {
      ++it;
      continue;
    }
    auto run = runs_.find(it->second);
    it = by_pid_.erase(it);
    if (run == runs_.end()) continue;
    finished.push_back(Finish(run->second, status));
    runs_.erase(run);
  }
  return finished;
}

std::vector<FinishedRun> ChildSupervisor::OnPidfd(uint64_t tag) {
  std::vector<FinishedRun> finished;
  auto it = runs_.find(static_cast<int64_t>(tag & (kPidfdTagBit - 1)));
  if (it == runs_.end()) return finished;
  Run& run = it->second;
  waker_.Remove(run.pidfd.get());  // level-triggered: it stays readable
  Signal(run, SIGKILL);            // what it left in its group
  std::optional<int> status = ExitStatusOfNonChild(run.pidfd.get(), run.pid, run.start_time);
  if (status) {
    finished.push_back(Finish(run, status));
    runs_.erase(it);
  } else {
    // Being reaped by its new parent right now: ask again shortly.
    run.status_wait_until_ms = SteadyMillis() + kStatusWaitMillis;
  }
  return finished;
}

std::vector<FinishedRun> ChildSupervisor::Tick(int64_t now) {
  std::vector<FinishedRun> finished;
  const bool check_output = now >= next_output_check_ms_;
  if (check_output) {
    next_output_check_ms_ = now + kOutputCheckMillis;
    RecordPids();  // retries pids the database refused earlier
  }
  for (auto it = runs_.begin(); it != runs_.end();) {
    Run& run = it->second;
    if (run.status_wait_until_ms) {
      std::optional<int> status = ExitStatusOfNonChild(run.pidfd.get(), run.pid, run.start_time);
      if (status || now >= *run.status_wait_until_ms) {
        finished.push_back(Finish(run, status));
        it = runs_.erase(it);
        continue;
      }
      ++it;
      continue;
    }
    if (run.stop == Stop::kNone && now >= run.deadline_ms) {
      spdlog::warn("{} (pid {}) timed out after {} s; sending SIGTERM to its process group",
                   run.label, run.pid, run.timeout_seconds);
      run.stop = Stop::kTimeout;
      Signal(run, SIGTERM);
      run.kill_at_ms = now + kill_grace_.count();
    } else if (run.kill_at_ms && now >= *run.kill_at_ms) {
      spdlog::warn("{} (pid {}) still running {} ms after SIGTERM; sending SIGKILL", run.label,
                   run.pid, kill_grace_.count());
      Signal(run, SIGKILL);
      run.kill_at_ms.reset();
    }
    if (check_output) run.output.Check(run.output_limit);
    ++it;
  }
  return finished;
}

std::optional<int64_t> ChildSupervisor::NextDeadline() const {
  if (runs_.empty()) return std::nullopt;
  int64_t next = next_output_check_ms_;
  for (const auto& [id, run] : runs_) {
    if (run.status_wait_until_ms) {
      next = std::min(next, SteadyMillis() + kStatusRetryMillis);
    } else if (run.stop == Stop::kNone) {
      next = std::min(next, run.deadline_ms);
      if (!run.pid_recorded) next = std::min(next, run.started_ms + kPidRecordDelayMillis);
    } else if (run.kill_at_ms) {
      next = std::min(next, *run.kill_at_ms);
    }
  }
  return next;
}

void ChildSupervisor::StopAll(bool kill_now) {
  const int64_t now = SteadyMillis();
  for (auto& [id, run] : runs_) {
    if (run.status_wait_until_ms) continue;  // already ended
    if (run.stop == Stop::kNone) run.stop = Stop::kShutdown;
    Signal(run, kill_now ? SIGKILL : SIGTERM);
    if (kill_now) {
      run.kill_at_ms.reset();
    } else {
      run.kill_at_ms = now + kill_grace_.count();
    }
  }
}

}  // namespace taskqueue::daemon
