// WalSyncer: writes a WAL file's committed frames to disk in the background.
// It serves commits made with synchronous=NORMAL, which return once their
// frames are in the operating system (safe from a crash of any process) but
// before they are on disk (not yet safe from a power loss): one fdatasync
// of the WAL file, on a thread of its own, covers every such commit made
// before it started, so commits that pile up while it runs share the next.
// Syncs start at most once per `min_interval`: under a steady stream of
// commits (taskqueued's turns) one sync covers several, and an fdatasync
// costs the machine about as much CPU as a turn does.
//
// Internal to state/ (see Store::WithQueueSyncLater).
//
// Thread-safety: thread-safe. Its thread never logs or touches SQLite: it
// opens the WAL file by name and syncs it, so nothing it holds can block a
// child forked meanwhile.
#ifndef TASKQUEUE_STATE_WAL_SYNCER_H_
#define TASKQUEUE_STATE_WAL_SYNCER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "taskqueue/status.h"

namespace taskqueue::state {

class WalSyncer {
 public:
  // Syncs one open file; returns 0 or an errno value. fdatasync by default.
  using SyncFn = std::function<int(int fd)>;

  // Starts the thread. `wal_path` is the WAL file (<db>-wal); it may not
  // exist yet, or be gone, when a sync is due: there is nothing to sync then.
  // A request made at least `min_interval` after the last sync started is
  // synced at once; one made sooner waits for the rest of the interval.
  WalSyncer(std::filesystem::path wal_path, SyncFn sync,
            std::chrono::milliseconds min_interval = std::chrono::milliseconds(0));
  // Syncs whatever was requested and not synced yet, then stops the thread.
  ~WalSyncer();
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Every commit returned so far is to reach the disk. Returns at once.
  void Request();

  // Waits until every commit requested so far is synced. Returns the error
  // of a sync that failed and was not yet taken by TakeError, if any.
  Status WaitSynced();

  // The error of a sync that failed since the last call (OK if none), and
  // forgets it.
  Status TakeError();

 private:
  void Loop();
  // Syncs the WAL file as it is now. Caller does not hold mu_.
  Status SyncOnce();

  const std::filesystem::path wal_path_;
  const SyncFn sync_;
  const std::chrono::milliseconds min_interval_;
  int fd_ = -1;  // the WAL file, kept open between syncs; thread only

  std::mutex mu_;
  std::condition_variable wake_;    // a request, or stop
  std::condition_variable synced_;  // synced_upto_ moved on
  uint64_t requested_ = 0;          // requests so far
  uint64_t synced_upto_ = 0;        // requests covered by a finished sync
  bool stop_ = false;
  bool idle_ = false;  // the thread waits for a request (only then is it woken)
  Status error_;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_WAL_SYNCER_H_
