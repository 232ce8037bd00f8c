// Options for opening a queue and its scheduler, and the settings stored with
// a queue (cPanel's max_running and timeouts, plus history retention).
//
// Thread-safety: plain values.
#ifndef TASKQUEUE_OPTIONS_H_
#define TASKQUEUE_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskqueue/clock.h"
#include "taskqueue/export.h"
#include "taskqueue/status.h"

namespace taskqueue {

class ProcessorRegistry;

// Settings stored in the queue file and shared by every process that opens
// it. Each must be positive.
struct TASKQUEUE_EXPORT QueueSettings {
  // Most tasks processing at once. Default: 2.
  int64_t max_running = 2;
  // Seconds an in-process task may run when its processor names none.
  int64_t default_timeout = 60;
  // Upper bound on any in-process timeout.
  int64_t max_timeout = 300;
  // Seconds a child may run when neither task nor processor names a timeout.
  int64_t default_child_timeout = 3600;
  // History retention: finished tasks older than this many seconds are pruned.
  int64_t keep_finished_seconds = 7 * 24 * 3600;
  // History retention: at most this many complete (and failed) tasks are kept.
  int64_t keep_complete_count = 10000;
  int64_t keep_failed_count = 10000;
  // Events older than this many seconds are pruned.
  int64_t keep_events_seconds = 7 * 24 * 3600;
  // Bytes of a child's output kept per task.
  int64_t max_output_bytes = 1 << 20;

  // Sets `key` from its text; InvalidArgument naming the key for an unknown
  // key or a value that is not a positive integer.
  Status Set(const std::string& key, const std::string& value);
  // The setting's value by name, or nullopt for an unknown key.
  std::optional<int64_t> Get(const std::string& key) const;
  // Every key, in a stable order.
  static const std::vector<std::string>& Keys();
};

enum class Durability {
  kFull,    // fsync at every commit: survives power loss (default)
  kNormal,  // survives a crash of any process, may lose the last commits on power loss
};

struct TASKQUEUE_EXPORT QueueOptions {
  // Directory holding <name>_queue.db and <name>_sched.db. Created (0700) if
  // missing. REQUIRES: non-empty.
  std::filesystem::path state_dir;
  // Queue name: letters, digits, '-', '_' and '.'. Default: "tasks".
  std::string name = "tasks";

  // Settings to store when opening; unset ones keep the stored values.
  std::optional<int64_t> max_running;
  std::optional<int64_t> default_timeout;
  std::optional<int64_t> max_timeout;
  std::optional<int64_t> default_child_timeout;

  Durability durability = Durability::kFull;
  // Move a corrupt or foreign state file aside to <file>.broken and start
  // empty, instead of failing.
  bool recover = false;
  // With recover: told the path of each state file moved aside, on the
  // thread that opened it (the queue's file when opening, the scheduler's
  // on its first use), so that the program can say so.
  std::function<void(const std::string& file)> on_moved_aside;
  // How long to wait for another process's write lock before kBusy.
  std::chrono::milliseconds busy_timeout{10000};
  // SQLite's memory statistics (sqlite3_memory_used(), soft heap limits),
  // which are process-wide. false turns them off when this open is the
  // process's first use of SQLite, and changes nothing otherwise: every
  // allocation SQLite makes then skips a global mutex (taskqueued runs about
  // 9% fewer instructions per task). Only for a program that owns its
  // process and opens its first queue before any other thread uses SQLite,
  // as taskqueued does.
  bool sqlite_memory_statistics = true;

  // Processors by command. Default: a registry holding only `noop`.
  std::shared_ptr<ProcessorRegistry> registry;
  // Source of time. Default: Clock::System(). Not owned; must outlive the queue.
  Clock* clock = nullptr;
  // Test mode: record queued tasks but never start them (ClaimNext and
  // ProcessNextTask find nothing to do), as Kue's testMode.
  bool record_only = false;
};

// The default state dir: $TASKQUEUE_STATE_DIR, else $XDG_STATE_HOME/taskqueue,
// else ~/.local/state/taskqueue.
TASKQUEUE_EXPORT std::filesystem::path DefaultStateDir();

}  // namespace taskqueue

#endif  // TASKQUEUE_OPTIONS_H_
