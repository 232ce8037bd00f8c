// Crash recovery at daemon start: settles every task a previous daemon left
// "processing".
//
//  - Run by another live process (a `taskqueuectl process`, a library user):
//    left alone; it still counts against max_running.
//  - A child that is still the same process (pid, start time, boot id):
//    supervised again (ChildSupervisor::Adopt), its timeout still enforced.
//  - A child that was forked but never released by the dead daemon, or a
//    child task whose pid was never recorded, in the database or the spawn
//    journal (so it never ran): back to waiting (RunOutcome::kAborted, the
//    attempt not counted).
//  - Anything else (the child is gone, or in-process work died with its
//    daemon): RunOutcome::kLost, which retries or fails by the task's policy.
//
// Recovered tasks stay "processing" until they end, so max_running and
// deferral tags hold throughout.
//
// Thread-safety: call from the daemon's main thread before its loop starts.
#ifndef TASKQUEUED_RECOVERY_H_
#define TASKQUEUED_RECOVERY_H_

#include <cstdint>
#include <map>

#include "child_supervisor.h"
#include "spawn_journal.h"
#include "taskqueue/queue.h"

namespace taskqueue::daemon {

struct RecoveryReport {
  int64_t adopted = 0;     // children supervised again
  int64_t requeued = 0;    // never started: waiting again
  int64_t lost = 0;        // ended while unsupervised: retried or failed
  int64_t left_alone = 0;  // run by another live process
};

// `journal` holds the pids the dead daemon noted but may not have committed
// (SpawnJournal::ReadLeftovers). REQUIRES: the caller holds the daemon lock.
Result<RecoveryReport> RecoverProcessingTasks(
    Queue& queue, ChildSupervisor& supervisor,
    const std::map<int64_t, SpawnJournal::Entry>& journal);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_RECOVERY_H_
