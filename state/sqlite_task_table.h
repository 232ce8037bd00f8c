// SQLite implementations of the transaction interfaces of store.h. Internal
// to state/.
//
// Thread-safety: none; a transaction object lives inside one WithQueue or
// WithSched call, under the Store's mutex.
#ifndef TASKQUEUE_STATE_SQLITE_TASK_TABLE_H_
#define TASKQUEUE_STATE_SQLITE_TASK_TABLE_H_

#include <SQLiteCpp/Database.h>

#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "state/sqlite_util.h"
#include "state/store.h"

namespace taskqueue::state {

// The tasks-table operations both files share.
template <typename Base>
class SqliteTaskTable : public Base {
 public:
  SqliteTaskTable(SQLite::Database& db, StatementCache& cache) : db_(db), cache_(cache) {}

  std::optional<Task> Get(int64_t id) override;
  void Insert(const Task& task, const std::string& dupe_key) override;
  void Update(const Task& task) override;
  bool Delete(int64_t id) override;
  std::vector<Task> List(const TaskFilter& filter) override;
  int64_t Count(std::optional<TaskState> state, const std::string& command) override;

  // Writes the changes to the counts table that this transaction's updates
  // have gathered, and forgets them. Must run before COMMIT (RunTransaction
  // calls it); reads of the counts and deletes of tasks call it first.
  void FlushCounts();

 protected:
  SQLite::Statement& Stmt(const std::string& sql) { return cache_.Get(sql); }
  std::vector<Task> Tasks(SQLite::Statement& stmt);
  // Adds `tasks` to the count of `command`'s tasks in `state` and `work_ms`
  // to its run time, at the next FlushCounts.
  void AddToCount(const std::string& command, TaskState state, int64_t tasks, int64_t work_ms);
  // Notes the stored state and command of the row `id`, as just read or
  // written (see stored_).
  void Remember(int64_t id, TaskState state, const std::string& command);
  // Forgets every row (after a delete of many).
  void Forget() { stored_.clear(); }
  SQLite::Database& db_;
  StatementCache& cache_;

 private:
  // Changes of state are counted here, not by a trigger on the tasks
  // table: a trigger ran two statements per change in a sub-program with a
  // statement journal (a sixth of the daemon's instructions per task), and
  // a daemon's turn, which claims tasks and finishes as many, nets out to
  // three rows of counts at most (waiting, complete, and the run time on
  // processing). Inserts and deletes keep their triggers.
  // Keyed by (command, state); values are (tasks, work_ms) to add.
  std::map<std::pair<std::string, int>, std::pair<int64_t, int64_t>> count_changes_;
  // The stored state and command of the rows this transaction has read or
  // written, by id: an update then counts a change of state without
  // reading the row again. Exact because every write to the tasks table
  // goes through this class, which keeps it up to date.
  std::unordered_map<int64_t, std::pair<int, std::string>> stored_;
};

class SqliteQueueTxn : public SqliteTaskTable<QueueTxn> {
 public:
  using SqliteTaskTable::SqliteTaskTable;

  int64_t AllocateId() override;
  int64_t AllocateSeq() override;
  std::optional<std::string> GetMeta(const std::string& key) override;
  void SetMeta(const std::string& key, const std::string& value) override;
  std::map<std::string, std::string> AllMeta() override;
  std::optional<int64_t> FindPendingByDupeKey(const std::string& key) override;
  std::vector<Task> PendingOfCommands(const std::vector<std::string>& commands) override;
  std::vector<Task> WaitingInOrder(std::optional<std::pair<int, int64_t>> after,
                                   int64_t limit) override;
  std::vector<Task> InState(TaskState state, int64_t limit) override;
  std::vector<std::pair<TaskState, int64_t>> CountsByState() override;
  std::vector<int64_t> DeleteAllInState(TaskState state) override;
  bool DeleteWithHistory(int64_t id) override;
  std::vector<std::string> CommandNames() override;
  int64_t WorkTimeMillis() override;
  void AddWorkTime(const std::string& command, int64_t ms) override;
  std::vector<int64_t> Search(const std::vector<std::string>& fts_terms,
                              std::optional<TaskState> state,
                              const std::string& command, int64_t limit) override;
  void IndexText(int64_t id, const std::string& text) override;
  bool HasUnindexedText() override;
  void FlushSearchText() override;
  void AddLog(int64_t task_id, int64_t time, const std::string& line) override;
  std::vector<LogLine> Logs(int64_t task_id) override;
  int64_t AddEvent(const std::string& type, int64_t task_id, int64_t time,
                   const std::string& data_json) override;
  std::vector<Event> Events(int64_t since_id, int64_t limit) override;
  int64_t PruneEvents(int64_t before_time) override;
  std::vector<int64_t> PrunableFinished(int64_t before_time, int64_t keep_complete,
                                        int64_t keep_failed) override;

 private:
  // How much text waits before an indexing batch: large enough that FTS5's
  // per-commit segment is paid once for many tasks, small enough that the
  // commit which pays it stays short.
  static constexpr int64_t kTextBatch = 1024;
  int64_t Increment(const char* key);
  int64_t LogTextUpto();
  int64_t MaxLogId();
};

class SqliteSchedTxn : public SqliteTaskTable<SchedTxn> {
 public:
  using SqliteTaskTable::SqliteTaskTable;
  std::vector<Task> Due(int64_t now, int64_t limit) override;
  std::vector<Task> InTimeOrder(int64_t limit) override;
  int64_t DeleteAll() override;
};

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_SQLITE_TASK_TABLE_H_
