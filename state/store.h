// Store: the persistence interface the queue logic is written against. The
// SQLite implementation (sqlite_store.cc) is the only code in the project
// that speaks SQL or takes interprocess locks; another store (PostgreSQL)
// would implement these same classes.
//
// A Store owns the two files of one queue: <name>_queue.db (waiting, deferred,
// processing and finished tasks, logs, events, settings, the id counter) and
// <name>_sched.db (scheduled tasks). Work happens inside transactions handed
// to callbacks; a callback returning a non-OK Status rolls its transaction
// back. Store errors inside a callback (I/O, busy) are raised internally and
// come back from WithQueue/WithSched as a Status, never as an exception.
//
// Thread-safety: a Store serializes its callers with an internal mutex.
// Separate processes are serialized by SQLite's file locks (BEGIN IMMEDIATE
// for writers, busy_timeout for waiting).
#ifndef TASKQUEUE_STATE_STORE_H_
#define TASKQUEUE_STATE_STORE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskqueue/event.h"
#include "taskqueue/options.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue::state {

struct StoreOptions {
  std::filesystem::path state_dir;
  std::string name = "tasks";
  Durability durability = Durability::kFull;
  bool recover = false;
  // See QueueOptions::on_moved_aside.
  std::function<void(const std::string& file)> on_moved_aside;
  std::chrono::milliseconds busy_timeout{10000};
  // See QueueOptions::sqlite_memory_statistics.
  bool sqlite_memory_statistics = true;
  // Syncs an open file to disk for WithQueueSyncLater's background writes;
  // returns 0 or an errno value. Unset: fdatasync. Tests inject failures.
  std::function<int(int fd)> sync_file;
};

// Which tasks a listing wants.
struct TaskFilter {
  std::optional<TaskState> state;
  std::string command;  // empty: any
  int64_t offset = 0;
  int64_t limit = 0;  // 0: no limit
  bool descending = false;
  int64_t after_id = 0;  // cursor (exclusive), in the listing's direction
};

// Operations on the tasks table of either file.
class TaskTable {
 public:
  virtual ~TaskTable() = default;
  virtual std::optional<Task> Get(int64_t id) = 0;
  // Inserts (or replaces a row with the same id). `dupe_key` indexes pending
  // tasks for the default duplicate check.
  virtual void Insert(const Task& task, const std::string& dupe_key) = 0;
  // Rewrites every stored field of the task with this id.
  virtual void Update(const Task& task) = 0;
  // Deletes the task row only. Returns whether a row went away.
  virtual bool Delete(int64_t id) = 0;
  virtual std::vector<Task> List(const TaskFilter& filter) = 0;
  virtual int64_t Count(std::optional<TaskState> state, const std::string& command) = 0;
};

// The queue file, inside one transaction.
class QueueTxn : public TaskTable {
 public:
  // Next task number (shared with the scheduler); never reused.
  virtual int64_t AllocateId() = 0;
  // Next FIFO sequence number.
  virtual int64_t AllocateSeq() = 0;
  virtual std::optional<std::string> GetMeta(const std::string& key) = 0;
  virtual void SetMeta(const std::string& key, const std::string& value) = 0;
  // Every meta key and value (settings, pause, counters): a few rows, read
  // in one statement where many keys are wanted at once.
  virtual std::map<std::string, std::string> AllMeta() = 0;

  // The id of a waiting or deferred task with this dupe key, if any.
  virtual std::optional<int64_t> FindPendingByDupeKey(const std::string& key) = 0;
  // Waiting then deferred tasks of these commands, each in run order.
  virtual std::vector<Task> PendingOfCommands(const std::vector<std::string>& commands) = 0;
  // Waiting tasks in run order (priority, then seq), after the cursor
  // (priority, seq) when given, at most `limit`.
  virtual std::vector<Task> WaitingInOrder(std::optional<std::pair<int, int64_t>> after,
                                           int64_t limit) = 0;
  // Tasks in one state, in run order (waiting/deferred) or id order.
  virtual std::vector<Task> InState(TaskState state, int64_t limit) = 0;
  // Counts per state (scheduled left 0).
  virtual std::vector<std::pair<TaskState, int64_t>> CountsByState() = 0;
  // Deletes every task in `state` (with logs and search text); returns ids.
  virtual std::vector<int64_t> DeleteAllInState(TaskState state) = 0;
  // Deletes the task with its logs and search text.
  virtual bool DeleteWithHistory(int64_t id) = 0;

  virtual std::vector<std::string> CommandNames() = 0;
  // The run time of every finished run, in ms (history pruning keeps it).
  virtual int64_t WorkTimeMillis() = 0;
  // Adds `ms` to WorkTimeMillis(), for a run of `command` that ends in this
  // transaction.
  virtual void AddWorkTime(const std::string& command, int64_t ms) = 0;
  // Task ids matching every one of `fts_terms` (each an FTS5 query, such as
  // a quoted word), newest first. A term matches a task when it matches the
  // task's text or any of its log lines, so the words of one query may come
  // from both. REQUIRES: fts_terms not empty.
  virtual std::vector<int64_t> Search(const std::vector<std::string>& fts_terms,
                                      std::optional<TaskState> state,
                                      const std::string& command, int64_t limit) = 0;
  // Replaces the searchable text of a task. The text (and every log line
  // added) reaches the search index in batches: Search sees it after
  // FlushSearchText, which this call runs itself now and then.
  virtual void IndexText(int64_t id, const std::string& text) = 0;
  // Whether some task text or log line is not in the search index yet.
  virtual bool HasUnindexedText() = 0;
  // Indexes all pending task text and log lines. Write transactions only.
  virtual void FlushSearchText() = 0;

  virtual void AddLog(int64_t task_id, int64_t time, const std::string& line) = 0;
  virtual std::vector<LogLine> Logs(int64_t task_id) = 0;

  virtual int64_t AddEvent(const std::string& type, int64_t task_id, int64_t time,
                           const std::string& data_json) = 0;
  virtual std::vector<Event> Events(int64_t since_id, int64_t limit) = 0;
  virtual int64_t PruneEvents(int64_t before_time) = 0;

  // Finished tasks to prune: finished before `before_time`, or beyond the
  // newest `keep` of their state. Returns their ids (not yet deleted).
  virtual std::vector<int64_t> PrunableFinished(int64_t before_time, int64_t keep_complete,
                                                int64_t keep_failed) = 0;
};

// The scheduler file, inside one transaction.
class SchedTxn : public TaskTable {
 public:
  // Scheduled tasks due at or before `now`, in time then FIFO order.
  virtual std::vector<Task> Due(int64_t now, int64_t limit) = 0;
  // All scheduled tasks in time order (at most `limit`; 0: all).
  virtual std::vector<Task> InTimeOrder(int64_t limit) = 0;
  virtual int64_t DeleteAll() = 0;
};

class Store {
 public:
  // Opens (creating if needed) both files' directory and the queue file. The
  // scheduler file is opened on first use.
  static Result<std::unique_ptr<Store>> OpenSqlite(const StoreOptions& options);
  virtual ~Store() = default;

  // Runs `fn` in a transaction on the queue file: a write transaction
  // (taken at once, BEGIN IMMEDIATE) when `write`, else a read snapshot.
  virtual Status WithQueue(bool write, const std::function<Status(QueueTxn&)>& fn) = 0;
  virtual Status WithSched(bool write, const std::function<Status(SchedTxn&)>& fn) = 0;
  // A write transaction on the queue file, like WithQueue(true, fn), whose
  // commit returns before it is on disk. With durability full the store
  // writes it out in the background: at once after a quiet spell, else
  // with the next fdatasync of the WAL, which starts at most every few
  // milliseconds and covers every commit since the last. A crash of any
  // process loses nothing (the commit is in the operating system); a power
  // loss in the few milliseconds before the write may undo it. So it is
  // for records a restart repairs (a run's claim, pid and end: the run is
  // then retried by its policy), never for a change a caller asked for and
  // was told is done. A background write that failed is returned by the next call,
  // which then runs nothing; the one after runs as usual.
  virtual Status WithQueueSyncLater(const std::function<Status(QueueTxn&)>& fn) = 0;
  // Waits until every WithQueueSyncLater commit made so far is on disk.
  // Returns the error of a background write that failed, without taking it.
  virtual Status WaitSynced() = 0;
  // Runs `fn` holding the interprocess lock that guards moves between the
  // two files. Released if the process dies.
  virtual Status WithCrossFileLock(const std::function<Status()>& fn) = 0;

  virtual std::filesystem::path queue_file() const = 0;
  virtual std::filesystem::path sched_file() const = 0;
};

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_STORE_H_
