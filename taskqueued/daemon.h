// Daemon: taskqueued's processing loop for one queue (SPEC §6).
//
// Start() takes the one-daemon-per-queue lock, loads the plugins, opens the
// queue and its scheduler, settles the tasks a previous daemon left
// processing (recovery.h) and starts the HTTP API if asked. Run() then
// loops: promote due scheduled tasks, start waiting tasks while
// Queue::ClaimNext() allows (pause, max_running, deferral tags, per-command
// concurrency), and record how each run ends. It sleeps, without polling,
// until the queue's files change, a child exits, a signal arrives, or the
// next deadline (a scheduled task coming due, a timeout) passes; a slow
// safety poll is the only backstop.
//
// Thread-safety: Start() and Run() on the main thread, which must have
// created the SignalChannel before starting any other thread.
#ifndef TASKQUEUED_DAEMON_H_
#define TASKQUEUED_DAEMON_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "child_supervisor.h"
#include "daemon_lock.h"
#include "daemon_options.h"
#include "finished_run.h"
#include "http_frontend.h"
#include "inprocess_runner.h"
#include "plugin_host.h"
#include "signals.h"
#include "spawn_journal.h"
#include "systemd_notify.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"
#include "waker.h"

namespace taskqueue::daemon {

class Daemon {
 public:
  // Errors: Busy (another daemon holds the queue; the message names its
  // pid), Config (HTTP misconfigured), or whatever opening the queue gives.
  static Result<std::unique_ptr<Daemon>> Start(DaemonOptions options, SignalChannel& signals);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM/SIGINT and the shutdown that follows. Returns the
  // process exit status: 0 after a shutdown, 1 if the loop itself failed.
  int Run();

  // True when in-process work is still running on threads that cannot be
  // joined: the process must then end with _exit rather than unwinding.
  bool HasStrayThreads() const;

 private:
  // Waker tags of the signalfd and the in-process runner's eventfd.
  static constexpr uint64_t kSignalTag = 1;
  static constexpr uint64_t kInProcessTag = 2;

  Daemon(DaemonOptions options, SignalChannel& signals);
  Status Open();

  // The loop's steps.
  void DoWork();
  // Records the runs that ended and starts what may start now, in one
  // transaction per turn of the loop (see Queue::FinishAndClaim).
  void CommitAndStart();
  // Starts the claimed `task`, or records why it cannot start. With
  // `before_commit` (inside the claim's transaction) only a spawned program
  // starts, and nothing is recorded: false means "call again after the
  // commit".
  bool StartTask(const Task& task, bool before_commit = false);
  // Queues a run that ended for the next CommitAndStart.
  void Record(const FinishedRun& run);
  void HandleWakeup(const Waker::Wakeup& wakeup);
  void HandleSignal(int sig);
  void BeginShutdown(int sig);
  void ShutdownStep(int64_t now);
  std::optional<int64_t> NextDeadline() const;
  const QueueSettings& CurrentSettings();
  // Every slot max_running allows is taken by a run of this daemon, so no
  // claim could start anything (other processes' runs only lower the room).
  bool SlotsFull();
  // After a database error: try again in a while, or, for a damaged state
  // file (which no retry mends), stop the loop with `error`.
  void RetrySoon(const Status& error);
  void ReportStatus();
  // Sends WATCHDOG=1 when it is due (a no-op without a watchdog).
  void FeedWatchdog(int64_t now);

  DaemonOptions options_;
  SignalChannel& signals_;
  SystemdNotifier notifier_;
  std::unique_ptr<DaemonLock> lock_;
  std::unique_ptr<PluginHost> plugins_;
  std::shared_ptr<Queue> queue_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Waker> waker_;
  std::unique_ptr<SpawnJournal> journal_;
  std::unique_ptr<ChildSupervisor> children_;
  std::unique_ptr<InProcessRunner> inprocess_;
  std::unique_ptr<HttpFrontend> http_;

  // What the next DoWork() must do.
  bool promote_ = true;                 // look for due scheduled tasks
  bool claim_ = true;                   // try to start waiting tasks
  std::vector<FinishedRun> finished_;   // runs ended, not yet recorded
  std::optional<int64_t> next_due_ms_;  // the next scheduled task comes due
  int due_now_streak_ = 0;              // promotions that left one due now
  int64_t next_safety_ms_ = 0;
  int64_t next_prune_ms_ = 0;
  std::optional<int64_t> retry_ms_;  // after a database error
  Status damaged_;                   // a state file is damaged: stop
  // Promotion re-checks after the scheduler's file changed (see
  // HandleWakeup), earliest last.
  std::vector<int64_t> sched_rechecks_ms_;

  QueueSettings settings_;
  int64_t settings_read_ms_ = -1;
  // A claim was skipped because the slots were full: when to read
  // max_running again, in case another process raised it.
  std::optional<int64_t> settings_recheck_ms_;

  // Shutdown.
  bool stopping_ = false;
  bool stop_sent_ = false;  // the children were told to stop
  int64_t grace_deadline_ms_ = 0;

  size_t reported_running_ = SIZE_MAX;
  // When the service manager's watchdog must next hear from the loop.
  std::optional<int64_t> next_watchdog_ms_;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_DAEMON_H_
