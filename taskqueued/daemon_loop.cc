// The daemon's loop: what it does when woken, and when it sleeps until.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "daemon.h"
#include "run_limits.h"

namespace taskqueue::daemon {
namespace {

// How long to wait before trying again after the database failed.
constexpr int64_t kRetryAfterErrorMillis = 1000;
// How long queue settings read from the database are reused.
constexpr int64_t kSettingsMaxAgeMillis = 1000;
// When to look at the schedule again after its file changed, in ms.
constexpr int64_t kSchedRecheckMillis[] = {5, 50, 500};

const char* OutcomeName(RunOutcome::Kind kind) {
  switch (kind) {
    case RunOutcome::Kind::kSuccess:
      return "complete";
    case RunOutcome::Kind::kFailure:
      return "failed";
    case RunOutcome::Kind::kTimeout:
      return "timed out";
    case RunOutcome::Kind::kSignal:
      return "killed by a signal";
    case RunOutcome::Kind::kLost:
      return "lost";
    case RunOutcome::Kind::kAborted:
      return "interrupted";
  }
  return "?";
}

}  // namespace

int Daemon::Run() {
  const QueueSettings& settings = CurrentSettings();
  spdlog::info("taskqueued {} ready: queue '{}' in {} (max_running {}, pid {})", TASKQUEUED_VERSION,
               queue_->name(), queue_->state_dir().string(), settings.max_running, ::getpid());
  notifier_.Notify("READY=1");
  if (notifier_.watchdog_interval_ms() > 0) next_watchdog_ms_ = SteadyMillis();
  for (;;) {
    if (!stopping_) DoWork();
    CommitAndStart();
    if (!damaged_.ok()) {
      // Retrying cannot mend it, and writing on may spread the damage.
      // Running children go on in their own sessions, as after a crash.
      spdlog::critical(
          "{}; stopping (start taskqueued once with --recover to move the damaged file aside "
          "and start it empty)",
          damaged_.message());
      notifier_.Notify("STOPPING=1");
      return 1;
    }
    ReportStatus();
    FeedWatchdog(SteadyMillis());
    if (stopping_ && children_->empty() && inprocess_->empty()) break;
    children_->RecordPids();
    auto wakeup = waker_->Wait(NextDeadline());
    if (!wakeup.ok()) {
      spdlog::critical("the loop cannot wait any more: {}", wakeup.status().message());
      return 1;
    }
    HandleWakeup(*wakeup);
  }
  spdlog::info("stopped");
  return 0;
}

const QueueSettings& Daemon::CurrentSettings() {
  const int64_t now = SteadyMillis();
  if (settings_read_ms_ < 0 || now - settings_read_ms_ >= kSettingsMaxAgeMillis) {
    auto s = queue_->Settings();
    if (s.ok()) {
      // A retention changed by `set` applies now, not at the next hourly
      // pruning (the man page promises about a second).
      const bool retention_changed = (s->keep_finished_seconds != settings_.keep_finished_seconds ||
                                      s->keep_complete_count != settings_.keep_complete_count ||
                                      s->keep_failed_count != settings_.keep_failed_count ||
                                      s->keep_events_seconds != settings_.keep_events_seconds);
      if (retention_changed) next_prune_ms_ = now;
      settings_ = *s;
      settings_read_ms_ = now;
    } else {
      spdlog::error("reading the queue's settings: {}", s.status().message());
    }
  } else if (!settings_recheck_ms_) {
    // The wake-up that brought us here may be a `set` made since the last
    // read: read again once the values are old enough (one wake-up).
    settings_recheck_ms_ = settings_read_ms_ + kSettingsMaxAgeMillis;
  }
  return settings_;
}

bool Daemon::SlotsFull() {
  const auto running = static_cast<int64_t>(children_->size() + inprocess_->size());
  return running >= CurrentSettings().max_running;
}

void Daemon::RetrySoon(const Status& error) {
  if (error.IsCorruption()) damaged_ = error;
  retry_ms_ = SteadyMillis() + kRetryAfterErrorMillis;
}

void Daemon::DoWork() {
  if (promote_) {
    promote_ = false;
    auto moved = scheduler_->ProcessReadyTasks(*queue_);
    if (!moved.ok()) {
      spdlog::error("promoting scheduled tasks: {}", moved.status().message());
      RetrySoon(moved.status());
    } else if (*moved > 0) {
      spdlog::debug("{} scheduled task(s) came due", *moved);
      claim_ = true;
    }
    auto until = scheduler_->MillisUntilNextTask();
    if (!until.ok()) {
      spdlog::error("reading the schedule: {}", until.status().message());
      RetrySoon(until.status());
    } else if (!until->has_value()) {
      next_due_ms_.reset();
    } else {
      // Something due "now" that the promotion just missed (the clock moved
      // on between the two reads) is picked up in a millisecond; should it
      // stay due, back off rather than spin.
      int64_t wait = **until;
      due_now_streak_ = wait <= 0 ? due_now_streak_ + 1 : 0;
      if (wait <= 0) wait = due_now_streak_ > 3 ? 100 : 1;
      next_due_ms_ = SteadyMillis() + wait;
    }
  }
}

void Daemon::CommitAndStart() {
  ClaimOptions claim;
  claim.runner_pid = ::getpid();
  // The next turn starts without waiting for the disk (see the option).
  claim.sync_in_background = true;
  // A run that cannot start is recorded at once, so this loops until
  // nothing is left to record and the last claim left slots unused.
  while (!finished_.empty() || (claim_ && !stopping_)) {
    if (finished_.empty() && SlotsFull()) {
      // Most wake-ups while every slot is busy come from this daemon's own
      // commits; a claim (a write transaction) would find no room. A run
      // ending sets claim_ again; a raised max_running is seen at the
      // recheck.
      claim_ = false;
      if (!settings_recheck_ms_) settings_recheck_ms_ = SteadyMillis() + kSettingsMaxAgeMillis;
      break;
    }
    const int64_t max_claims =
        stopping_ || !claim_ ? 0 : std::max<int64_t>(1, CurrentSettings().max_running);
    claim_ = false;
    std::vector<FinishedTask> batch;
    batch.reserve(finished_.size());
    bool interrupted = false;
    for (const auto& run : finished_) {
      batch.push_back({run.task_id, run.outcome});
      if (run.outcome.kind == RunOutcome::Kind::kAborted && run.pid > 0) {
        // An interrupted run waits again with the same seq and attempt
        // count, which its note would match after a crash (recovery.cc)
        // and count as a lost attempt. Its process is gone: without the
        // note, a restart before this commit settles the run by the
        // database alone.
        journal_->Forget(run.task_id, run.pid);
        interrupted = true;
      }
    }
    if (interrupted) journal_->Sync();
    // Programs start before the commit, so that its fsync overlaps their
    // start-up instead of delaying it. Their notes in the spawn journal
    // cover a crash before the commit (see recovery.cc).
    CurrentSettings();  // fresh for StartTask inside the transaction
    std::set<int64_t> started;
    claim.start_before_commit = [&](const std::vector<Task>& tasks) {
      for (const auto& task : tasks) {
        if (StartTask(task, /*before_commit=*/true)) started.insert(task.id);
      }
    };
    auto claimed = queue_->FinishAndClaim(batch, claim, max_claims);
    if (!claimed.ok()) {
      for (int64_t id : started) children_->Discard(id);
      // Nothing was recorded: the runs stay queued for the retry.
      spdlog::error("recording {} run(s) and claiming: {}", finished_.size(),
                    claimed.status().message());
      RetrySoon(claimed.status());
      return;
    }
    for (const auto& run : finished_) {
      // Its end is committed: a restart no longer needs its note.
      if (run.pid > 0) journal_->Forget(run.task_id, run.pid);
      const RunOutcome& o = run.outcome;
      if (o.kind == RunOutcome::Kind::kSuccess) {
        spdlog::info("{} complete", run.label);
      } else {
        spdlog::warn("{} {}: {}", run.label, OutcomeName(o.kind), o.error);
        promote_ = true;  // a retry went to the scheduler with its due time
      }
    }
    finished_.clear();
    for (const auto& task : *claimed) {
      if (started.count(task.id) == 0) StartTask(task);
    }
    // Claims stop at max_running or an empty queue; a run ending (or one
    // that could not start) sets claim_ again.
    // Runs that ended at once (work run inline, a program that could not
    // start) are recorded on the next pass of the loop in Run(), after it
    // has looked at signals, exits and the watchdog: a queue of inline
    // work must not keep a SIGTERM waiting until it is empty.
    if (!finished_.empty()) return;
  }
}

bool Daemon::StartTask(const Task& task, bool before_commit) {
  const std::string label = RunLabel(task);
  auto processor = queue_->registry().Find(task.command);
  const bool spawned = processor && processor->kind() == Processor::Kind::kChild;
  // Before the commit only a spawned program starts; anything else, and
  // any failure, waits for the call after the commit, which records it.
  if (before_commit && !spawned) return false;
  if (!processor) {
    // Its plugin was unloaded between the claim and now.
    FinishedRun run{task.id, 0, false, {}, label};
    run.outcome.kind = RunOutcome::Kind::kFailure;
    run.outcome.retryable = false;
    run.outcome.error = "No known processor for '" + task.command + "'.";
    Record(run);
    return true;
  }
  // Inside the claim's transaction the database must not be read again:
  // the settings CommitAndStart has just refreshed are used as they are.
  const QueueSettings& settings = before_commit ? settings_ : CurrentSettings();
  if (spawned) {
    auto child = std::static_pointer_cast<const ChildProcessor>(processor);
    const ChildLimits limits = ChildLimitsFor(task, child.get(), settings);
    Status started = children_->Start(task, std::move(child), limits, before_commit);
    if (started.ok()) return true;
    if (before_commit) return false;
    spdlog::error("cannot start {}: {}", label, started.message());
    FinishedRun run{task.id, 0, false, {}, label};
    run.outcome.kind = RunOutcome::Kind::kFailure;
    run.outcome.error = "cannot start: " + started.message();
    Record(run);
    return true;
  }
  if (processor->RunsInline()) {
    spdlog::debug("running {} inline", label);
    Record(inprocess_->RunInline(task, *processor));
    return true;
  }
  spdlog::debug("starting {} in-process", label);
  inprocess_->Start(task, processor, InProcessTimeoutSeconds(task, *processor, settings));
  return true;
}

void Daemon::Record(const FinishedRun& run) {
  if (run.adopted) {
    // An adopted run could have been settled meanwhile by someone else's
    // ClaimNext (which finishes runs whose supervisor died): only finish
    // it if it is still this process's run.
    auto current = queue_->FindTask(run.task_id);
    if (current.ok() && (!current->has_value() || (*current)->state != TaskState::kProcessing ||
                         (*current)->pid != run.pid)) {
      return;
    }
  }
  finished_.push_back(run);
  // A slot is free and deferred tasks may have been released.
  claim_ = true;
}

void Daemon::HandleWakeup(const Waker::Wakeup& wakeup) {
  // inotify reports a commit's writes to the -wal file before the commit is
  // visible to readers (SQLite publishes it in the -shm index afterwards,
  // after its fsync). Claiming is a write transaction, which waits for the
  // writer and then sees its commit; promotion only reads, so it looks
  // again a little later, in case it looked too early.
  if ((wakeup.changed & Waker::kQueueFile) != 0) claim_ = true;
  if ((wakeup.changed & Waker::kSchedFile) != 0) {
    promote_ = true;
    const int64_t at = SteadyMillis();
    sched_rechecks_ms_.clear();
    for (auto it = std::rbegin(kSchedRecheckMillis); it != std::rend(kSchedRecheckMillis); ++it) {
      sched_rechecks_ms_.push_back(at + *it);
    }
  }
  for (uint64_t tag : wakeup.tags) {
    if (tag == kSignalTag) {
      for (int sig : signals_.ReadPending()) HandleSignal(sig);
    } else if (tag == kInProcessTag) {
      for (const auto& run : inprocess_->Collect()) Record(run);
    } else if (ChildSupervisor::IsPidfdTag(tag)) {
      for (const auto& run : children_->OnPidfd(tag)) Record(run);
    }
  }
  const int64_t now = SteadyMillis();
  for (const auto& run : children_->Tick(now)) Record(run);
  for (const auto& run : inprocess_->Tick(now)) Record(run);
  if (next_due_ms_ && now >= *next_due_ms_) {
    next_due_ms_.reset();
    promote_ = true;
  }
  while (!sched_rechecks_ms_.empty() && now >= sched_rechecks_ms_.back()) {
    sched_rechecks_ms_.pop_back();
    promote_ = true;
  }
  if (settings_recheck_ms_ && now >= *settings_recheck_ms_) {
    settings_recheck_ms_.reset();
    settings_read_ms_ = -1;  // read them now
    if (!SlotsFull()) claim_ = true;
  }
  if (retry_ms_ && now >= *retry_ms_) {
    retry_ms_.reset();
    promote_ = claim_ = true;
  }
  if (now >= next_safety_ms_) {
    next_safety_ms_ = now + options_.safety_poll.count();
    promote_ = claim_ = true;
  }
  if (now >= next_prune_ms_) {
    next_prune_ms_ = now + options_.prune_interval.count();
    auto pruned = queue_->PruneHistory();
    if (!pruned.ok()) {
      spdlog::warn("pruning history: {}", pruned.status().message());
    } else if (*pruned > 0) {
      spdlog::info("pruned {} finished task(s)", *pruned);
    }
  }
  if (stopping_) ShutdownStep(now);
}

void Daemon::HandleSignal(int sig) {
  switch (sig) {
    case SIGCHLD:
      for (const auto& run : children_->Reap()) Record(run);
      break;
    case SIGHUP: {
      spdlog::info("SIGHUP: reloading plugins");
      notifier_.Notify("RELOADING=1");
      auto failures = plugins_->Reload();
      spdlog::info("plugins reloaded: {} file(s) loaded, {} failed", plugins_->loaded().size(),
                   failures.size());
      notifier_.Notify("READY=1");
      claim_ = true;
      break;
    }
    case SIGTERM:
    case SIGINT:
      BeginShutdown(sig);
      break;
    default:
      break;
  }
}

void Daemon::BeginShutdown(int sig) {
  const int64_t now = SteadyMillis();
  if (stopping_) {
    if (sig != SIGINT) return;
    // A second SIGINT: the user wants out now.
    spdlog::warn("second SIGINT: stopping every task now");
    children_->StopAll(/*kill_now=*/true);
    for (const auto& run : inprocess_->AbortAll()) Record(run);
    stop_sent_ = true;
    return;
  }
  stopping_ = true;
  grace_deadline_ms_ = now + options_.shutdown_grace.count();
  notifier_.Notify("STOPPING=1");
  const size_t running = children_->size() + inprocess_->size();
  spdlog::info("{}: starting nothing new; waiting up to {} ms for {} running task(s)",
               sig == SIGINT ? "SIGINT" : "SIGTERM", options_.shutdown_grace.count(), running);
  ShutdownStep(now);
}

void Daemon::ShutdownStep(int64_t now) {
  if (stop_sent_ || now < grace_deadline_ms_) return;
  stop_sent_ = true;
  if (children_->size() + inprocess_->size() == 0) return;
  spdlog::warn("grace period over: stopping {} running task(s); they run again after restart",
               children_->size() + inprocess_->size());
  children_->StopAll(/*kill_now=*/false);
  for (const auto& run : inprocess_->AbortAll()) Record(run);
}

std::optional<int64_t> Daemon::NextDeadline() const {
  // Runs waiting to be recorded: only look at what is ready.
  if (!finished_.empty()) return SteadyMillis();
  std::optional<int64_t> next;
  auto consider = [&](std::optional<int64_t> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(children_->NextDeadline());
  consider(inprocess_->NextDeadline());
  consider(retry_ms_);
  consider(next_watchdog_ms_);
  consider(settings_recheck_ms_);
  if (stopping_) {
    if (!stop_sent_) consider(grace_deadline_ms_);
  } else {
    consider(next_due_ms_);
    if (!sched_rechecks_ms_.empty()) consider(sched_rechecks_ms_.back());
    consider(next_safety_ms_);
    consider(next_prune_ms_);
  }
  return next;
}

void Daemon::FeedWatchdog(int64_t now) {
  // Fed from the loop itself (not a timer thread): a loop stuck in a call
  // for the watchdog's interval is what the watchdog exists to catch.
  if (!next_watchdog_ms_ || now < *next_watchdog_ms_) return;
  notifier_.Notify("WATCHDOG=1");
  next_watchdog_ms_ = now + notifier_.watchdog_interval_ms();
}

void Daemon::ReportStatus() {
  if (!notifier_.enabled()) return;
  const size_t running = children_->size() + inprocess_->size();
  if (running == reported_running_) return;
  reported_running_ = running;
  notifier_.Notify("STATUS=" + std::to_string(running) + " running" +
                   (stopping_ ? ", stopping" : ""));
}

}  // namespace taskqueue::daemon
