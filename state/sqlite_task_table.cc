#include "state/sqlite_task_table.h"

#include <optional>
#include <string>

namespace taskqueue::state {
namespace {

const std::string kSelectFrom = std::string("SELECT ") + kTaskColumns + " FROM ";
const std::string kSelect = kSelectFrom + "tasks ";

int StateInt(TaskState s) { return static_cast<int>(s); }

}  // namespace

// --- Shared tasks-table operations -------------------------------------------

template <typename Base>
std::vector<Task> SqliteTaskTable<Base>::Tasks(SQLite::Statement& stmt) {
  std::vector<Task> out;
  while (stmt.executeStep()) {
    out.push_back(TaskFromRow(stmt));
    Remember(out.back().id, out.back().state, out.back().command);
  }
  return out;
}

template <typename Base>
void SqliteTaskTable<Base>::Remember(int64_t id, TaskState state, const std::string& command) {
  auto& row = stored_[id];
  row.first = StateInt(state);
  row.second = command;
}

template <typename Base>
std::optional<Task> SqliteTaskTable<Base>::Get(int64_t id) {
  static const std::string sql = kSelect + "WHERE id = ?";
  auto& s = Stmt(sql);
  s.bind(1, id);
  if (!s.executeStep()) return std::nullopt;
  Task task = TaskFromRow(s);
  Remember(task.id, task.state, task.command);
  return task;
}

template <typename Base>
void SqliteTaskTable<Base>::Insert(const Task& task, const std::string& dupe_key) {
  // Never INSERT OR REPLACE: a replace deletes without firing the count
  // triggers. A row with the same id is deleted explicitly first.
  FlushCounts();
  auto& del = Stmt("DELETE FROM tasks WHERE id = ?");
  del.bind(1, task.id);
  del.exec();
  auto& s = Stmt(std::string("INSERT INTO tasks(") + kTaskColumns + ") VALUES (" +
                 kTaskPlaceholders + ")");
  BindTask(s, task, dupe_key);
  s.exec();
  Remember(task.id, task.state, task.command);
}

template <typename Base>
void SqliteTaskTable<Base>::Update(const Task& task) {
  // The stored state, to count a change of state: known when this
  // transaction has read the row, as callers do before an update (the
  // command never changes).
  auto known = stored_.find(task.id);
  if (known == stored_.end()) {
    auto& old = Stmt("SELECT state, command FROM tasks WHERE id = ?");
    old.bind(1, task.id);
    if (!old.executeStep()) return;  // no such task: nothing to update
    known = stored_
                .emplace(task.id,
                         std::make_pair(old.getColumn(0).getInt(), old.getColumn(1).getString()))
                .first;
    old.reset();
  }
  // BindTaskForUpdate binds every parameter of this statement.
  static const std::string update_sql =
      "UPDATE tasks SET state=?7, priority=?8, seq=?9, attempts_made=?10, attempts_max=?11, "
      "backoff=?12, timeout=?13, userdata=?14, remove_on_complete=?15, run_at=?17, "
      "started_at=?18, finished_at=?19, exit_status=?20, term_signal=?21, error=?22, "
      "result=?23, progress=?24, progress_data=?25, pid=?26, pid_start_time=?27, "
      "boot_id=?28, runner_pid=?29, tags=?30, ns=?2 WHERE id=?1";
  auto& s = cache_.GetToRebind(update_sql);
  BindTaskForUpdate(s, task);
  if (s.exec() == 0) return;
  auto& [state, command] = known->second;
  if (state == StateInt(task.state)) return;
  AddToCount(command, static_cast<TaskState>(state), -1, 0);
  AddToCount(command, task.state, 1, 0);
  state = StateInt(task.state);
}

template <typename Base>
void SqliteTaskTable<Base>::AddToCount(const std::string& command, TaskState state, int64_t tasks,
                                       int64_t work_ms) {
  auto& change = count_changes_[{command, StateInt(state)}];
  change.first += tasks;
  change.second += work_ms;
}

template <typename Base>
void SqliteTaskTable<Base>::FlushCounts() {
  if (count_changes_.empty()) return;
  auto& s = Stmt(
      "INSERT INTO counts(command, state, n, work_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(command, state) DO UPDATE SET n = n + ?3, work_ms = work_ms + ?4");
  for (const auto& [key, change] : count_changes_) {
    if (change.first == 0 && change.second == 0) continue;  // a claim and a finish
    s.bind(1, key.first);
    s.bind(2, key.second);
    s.bind(3, change.first);
    s.bind(4, change.second);
    s.exec();
    s.reset();
  }
  count_changes_.clear();
}

template <typename Base>
bool SqliteTaskTable<Base>::Delete(int64_t id) {
  FlushCounts();  // the delete trigger counts from the rows as they are
  stored_.erase(id);
  auto& s = Stmt("DELETE FROM tasks WHERE id = ?");
  s.bind(1, id);
  return s.exec() > 0;
}

template <typename Base>
std::vector<Task> SqliteTaskTable<Base>::List(const TaskFilter& f) {
  std::string sql = kSelect + "WHERE 1";
  if (f.state) sql += " AND state = :state";
  if (!f.command.empty()) {
    sql += " AND command = :command";
    // Lets SQLite use the queue's (partial) index by command.
    if (f.state && f.state != TaskState::kProcessing) sql += " AND state <> 3";
  }
  if (f.after_id > 0) sql += f.descending ? " AND id < :after" : " AND id > :after";
  sql += f.descending ? " ORDER BY id DESC" : " ORDER BY id";
  sql += " LIMIT :limit OFFSET :offset";
  auto& s = Stmt(sql);
  if (f.state) s.bind(":state", StateInt(*f.state));
  if (!f.command.empty()) s.bind(":command", f.command);
  if (f.after_id > 0) s.bind(":after", f.after_id);
  s.bind(":limit", f.limit > 0 ? f.limit : int64_t{-1});
  s.bind(":offset", f.offset > 0 ? f.offset : int64_t{0});
  return Tasks(s);
}

template <typename Base>
int64_t SqliteTaskTable<Base>::Count(std::optional<TaskState> state, const std::string& command) {
  FlushCounts();
  std::string sql = "SELECT coalesce(sum(n), 0) FROM counts WHERE 1";
  if (state) sql += " AND state = :state";
  if (!command.empty()) sql += " AND command = :command";
  auto& s = Stmt(sql);
  if (state) s.bind(":state", StateInt(*state));
  if (!command.empty()) s.bind(":command", command);
  s.executeStep();
  return s.getColumn(0).getInt64();
}

template class SqliteTaskTable<QueueTxn>;
template class SqliteTaskTable<SchedTxn>;

// --- Queue file ----------------------------------------------------------------

int64_t SqliteQueueTxn::Increment(const char* key) {
  // Read, then write: an UPDATE ... RETURNING would buffer its result in an
  // ephemeral table whose page cache is allocated and freed on every call
  // (measured: 13% of an enqueue's time, mostly brk and page faults).
  auto& read = Stmt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?");
  read.bind(1, key);
  if (!read.executeStep()) {
    throw SQLite::Exception(std::string("counter '") + key + "' missing from the queue file");
  }
  const int64_t v = read.getColumn(0).getInt64();
  read.reset();
  auto& write = Stmt("UPDATE meta SET value = ? WHERE key = ?");
  write.bind(1, std::to_string(v + 1));
  write.bind(2, key);
  write.exec();
  return v;
}

int64_t SqliteQueueTxn::AllocateId() { return Increment("next_id"); }
int64_t SqliteQueueTxn::AllocateSeq() { return Increment("next_seq"); }

std::optional<std::string> SqliteQueueTxn::GetMeta(const std::string& key) {
  auto& s = Stmt("SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  if (!s.executeStep()) return std::nullopt;
  return s.getColumn(0).getString();
}

std::map<std::string, std::string> SqliteQueueTxn::AllMeta() {
  auto& s = Stmt("SELECT key, value FROM meta");
  std::map<std::string, std::string> out;
  while (s.executeStep()) out.emplace(s.getColumn(0).getString(), s.getColumn(1).getString());
  return out;
}

void SqliteQueueTxn::SetMeta(const std::string& key, const std::string& value) {
  auto& s = Stmt(
      "INSERT INTO meta(key, value) VALUES (?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  s.bind(1, key);
  s.bind(2, value);
  s.exec();
}

std::optional<int64_t> SqliteQueueTxn::FindPendingByDupeKey(const std::string& key) {
  auto& s = Stmt("SELECT id FROM tasks WHERE dupe_key = ? AND state IN (1, 2) LIMIT 1");
  s.bind(1, key);
  if (!s.executeStep()) return std::nullopt;
  return s.getColumn(0).getInt64();
}

std::vector<Task> SqliteQueueTxn::PendingOfCommands(const std::vector<std::string>& commands) {
  std::vector<Task> out;
  for (const auto& command : commands) {
    // By command first: only this command's pending tasks are read (the
    // run-order index would walk every pending task).
    auto& s = Stmt(kSelectFrom +
                   "tasks INDEXED BY tasks_command_state_id "
                   "WHERE command = ? AND state IN (1, 2) AND state <> 3 "
                   "ORDER BY state, priority, seq");
    s.bind(1, command);
    auto part = Tasks(s);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<Task> SqliteQueueTxn::WaitingInOrder(std::optional<std::pair<int, int64_t>> after,
                                                 int64_t limit) {
  if (after) {
    static const std::string sql = kSelect +
                                   "WHERE state IN (1, 2) AND state = 1 AND (priority, seq) > "
                                   "(?, ?) ORDER BY priority, seq LIMIT ?";
    auto& s = Stmt(sql);
    s.bind(1, after->first);
    s.bind(2, after->second);
    s.bind(3, limit);
    return Tasks(s);
  }
  // "state IN (1, 2)" lets SQLite use the (partial) run-order index.
  static const std::string sql =
      kSelect + "WHERE state IN (1, 2) AND state = 1 ORDER BY priority, seq LIMIT ?";
  auto& s = Stmt(sql);
  s.bind(1, limit);
  return Tasks(s);
}

std::vector<Task> SqliteQueueTxn::InState(TaskState state, int64_t limit) {
  // Processing tasks come in id order too: ordering them by start time
  // would sort in a temporary b-tree on every claim (Queue sorts them).
  const bool pending = state == TaskState::kWaiting || state == TaskState::kDeferred;
  static const std::string pending_sql =
      kSelect + "WHERE state IN (1, 2) AND state = ? ORDER BY priority, seq LIMIT ?";
  static const std::string other_sql = kSelect + "WHERE state = ? ORDER BY id LIMIT ?";
  auto& s = Stmt(pending ? pending_sql : other_sql);
  s.bind(1, StateInt(state));
  s.bind(2, limit > 0 ? limit : int64_t{-1});
  return Tasks(s);
}

std::vector<std::pair<TaskState, int64_t>> SqliteQueueTxn::CountsByState() {
  FlushCounts();
  auto& s = Stmt("SELECT state, sum(n) FROM counts GROUP BY state");
  std::vector<std::pair<TaskState, int64_t>> out;
  while (s.executeStep()) {
    out.emplace_back(static_cast<TaskState>(s.getColumn(0).getInt()), s.getColumn(1).getInt64());
  }
  return out;
}

std::vector<int64_t> SqliteQueueTxn::DeleteAllInState(TaskState state) {
  std::vector<int64_t> ids;
  {
    auto& s = Stmt("SELECT id FROM tasks WHERE state = ?");
    s.bind(1, StateInt(state));
    while (s.executeStep()) ids.push_back(s.getColumn(0).getInt64());
  }
  for (int64_t id : ids) DeleteWithHistory(id);
  return ids;
}

bool SqliteQueueTxn::DeleteWithHistory(int64_t id) {
  auto& lt = Stmt("DELETE FROM log_text WHERE rowid IN (SELECT id FROM logs WHERE task_id = ?)");
  lt.bind(1, id);
  lt.exec();
  auto& l = Stmt("DELETE FROM logs WHERE task_id = ?");
  l.bind(1, id);
  l.exec();
  auto& t = Stmt("DELETE FROM task_text WHERE rowid = ?");
  t.bind(1, id);
  t.exec();
  return Delete(id);
}

std::vector<std::string> SqliteQueueTxn::CommandNames() {
  FlushCounts();
  auto& s = Stmt("SELECT command FROM counts GROUP BY command HAVING sum(n) > 0 ORDER BY command");
  std::vector<std::string> out;
  while (s.executeStep()) out.push_back(s.getColumn(0).getString());
  return out;
}

int64_t SqliteQueueTxn::WorkTimeMillis() {
  FlushCounts();
  // Plus what a version 3 file had summed in meta.
  auto& s = Stmt(
      "SELECT (SELECT coalesce(sum(work_ms), 0) FROM counts) + "
      "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'work_time_ms'), 0)");
  s.executeStep();
  return s.getColumn(0).getInt64();
}

void SqliteQueueTxn::AddWorkTime(const std::string& command, int64_t ms) {
  // On the processing row, which the finishing run's update changes anyway.
  AddToCount(command, TaskState::kProcessing, 0, ms);
}

std::vector<int64_t> SqliteQueueTxn::Search(const std::vector<std::string>& fts_terms,
                                            std::optional<TaskState> state,
                                            const std::string& command, int64_t limit) {
  // One IN per term: each term may match the task's text or one of its log
  // lines, so "backup disk" finds a backup task whose log says "disk full".
  std::string sql = "SELECT t.id FROM tasks t WHERE 1";
  for (size_t i = 0; i < fts_terms.size(); ++i) {
    const std::string q = ":q" + std::to_string(i);
    sql += " AND t.id IN (SELECT rowid FROM task_text WHERE task_text MATCH " + q +
           " UNION SELECT l.task_id FROM logs l WHERE l.id IN "
           "(SELECT rowid FROM log_text WHERE log_text MATCH " +
           q + "))";
  }
  if (state) sql += " AND t.state = :state";
  if (!command.empty()) sql += " AND t.command = :command";
  sql += " ORDER BY t.id DESC LIMIT :limit";
  auto& s = Stmt(sql);
  for (size_t i = 0; i < fts_terms.size(); ++i) s.bind(":q" + std::to_string(i), fts_terms[i]);
  if (state) s.bind(":state", StateInt(*state));
  if (!command.empty()) s.bind(":command", command);
  s.bind(":limit", limit > 0 ? limit : int64_t{-1});
  std::vector<int64_t> out;
  while (s.executeStep()) out.push_back(s.getColumn(0).getInt64());
  return out;
}

void SqliteQueueTxn::IndexText(int64_t id, const std::string& text) {
  auto& s = Stmt("INSERT OR REPLACE INTO text_pending(id, text) VALUES (?, ?)");
  s.bind(1, id);
  s.bind(2, text);
  s.exec();
  auto& n = Stmt("SELECT count(*) FROM text_pending");
  n.executeStep();
  const int64_t pending = n.getColumn(0).getInt64();
  n.reset();
  if (pending >= kTextBatch) FlushSearchText();
}

bool SqliteQueueTxn::HasUnindexedText() {
  auto& p = Stmt("SELECT EXISTS (SELECT 1 FROM text_pending)");
  p.executeStep();
  const bool tasks = p.getColumn(0).getInt() != 0;
  p.reset();
  return tasks || LogTextUpto() < MaxLogId();
}

int64_t SqliteQueueTxn::LogTextUpto() {
  auto v = GetMeta("log_text_upto");
  return v ? std::stoll(*v) : 0;
}

int64_t SqliteQueueTxn::MaxLogId() {
  auto& s = Stmt("SELECT coalesce(max(id), 0) FROM logs");
  s.executeStep();
  const int64_t id = s.getColumn(0).getInt64();
  s.reset();
  return id;
}

void SqliteQueueTxn::FlushSearchText() {
  // Old text first (a finished task is indexed again with its error), then
  // the new text of tasks that still exist.
  Stmt("DELETE FROM task_text WHERE rowid IN (SELECT id FROM text_pending)").exec();
  Stmt(
      "INSERT INTO task_text(rowid, text) SELECT p.id, p.text FROM text_pending p "
      "WHERE p.id IN (SELECT id FROM tasks)")
      .exec();
  Stmt("DELETE FROM text_pending").exec();
  const int64_t upto = LogTextUpto(), max_id = MaxLogId();
  if (upto < max_id) {
    auto& l = Stmt("INSERT INTO log_text(rowid, line) SELECT id, line FROM logs WHERE id > ?");
    l.bind(1, upto);
    l.exec();
    SetMeta("log_text_upto", std::to_string(max_id));
  }
}

void SqliteQueueTxn::AddLog(int64_t task_id, int64_t time, const std::string& line) {
  auto& s = Stmt("INSERT INTO logs(task_id, time, line) VALUES (?, ?, ?)");
  s.bind(1, task_id);
  s.bind(2, time);
  s.bind(3, line);
  s.exec();
  // Indexed for search in batches, with the task text (FlushSearchText).
  if (db_.getLastInsertRowid() - LogTextUpto() >= kTextBatch) FlushSearchText();
}

std::vector<LogLine> SqliteQueueTxn::Logs(int64_t task_id) {
  auto& s = Stmt("SELECT time, line FROM logs WHERE task_id = ? ORDER BY id");
  s.bind(1, task_id);
  std::vector<LogLine> out;
  while (s.executeStep()) out.push_back({s.getColumn(0).getInt64(), s.getColumn(1).getString()});
  return out;
}

int64_t SqliteQueueTxn::AddEvent(const std::string& type, int64_t task_id, int64_t time,
                                 const std::string& data_json) {
  // See the events table in the schema: ids go up even after pruning
  // emptied it.
  auto& s = Stmt(
      "INSERT INTO events(id, type, task_id, time, data) VALUES ("
      "coalesce((SELECT max(id) FROM events), "
      "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'events_floor'), 0) + 1, "
      "?, ?, ?, ?)");
  s.bind(1, type);
  s.bind(2, task_id);
  s.bind(3, time);
  s.bind(4, data_json.empty() ? std::string("{}") : data_json);
  s.exec();
  return db_.getLastInsertRowid();
}

std::vector<Event> SqliteQueueTxn::Events(int64_t since_id, int64_t limit) {
  auto& s =
      Stmt("SELECT id, type, task_id, time, data FROM events WHERE id > ? ORDER BY id LIMIT ?");
  s.bind(1, since_id);
  s.bind(2, limit > 0 ? limit : int64_t{-1});
  std::vector<Event> out;
  while (s.executeStep()) {
    Event e;
    e.id = s.getColumn(0).getInt64();
    e.type = s.getColumn(1).getString();
    e.task_id = s.getColumn(2).getInt64();
    e.time = s.getColumn(3).getInt64();
    e.data_json = s.getColumn(4).getString();
    out.push_back(std::move(e));
  }
  return out;
}

int64_t SqliteQueueTxn::PruneEvents(int64_t before_time) {
  // Events are appended in time order, so the old ones are a prefix in id
  // order: walking it needs no index on time (one less page written per
  // event). A wall clock stepped back only delays pruning a little.
  int64_t newest = 0;
  {
    auto& max = Stmt("SELECT coalesce(max(id), 0) FROM events");
    if (max.executeStep()) newest = max.getColumn(0).getInt64();
  }
  auto& s = Stmt(
      "DELETE FROM events WHERE id < coalesce("
      "(SELECT id FROM events WHERE time >= ? ORDER BY id LIMIT 1), "
      "(SELECT max(id) + 1 FROM events))");
  s.bind(1, before_time);
  const int64_t deleted = s.exec();
  if (deleted > 0) {
    auto& left = Stmt("SELECT EXISTS (SELECT 1 FROM events)");
    if (left.executeStep() && left.getColumn(0).getInt() == 0) {
      SetMeta("events_floor", std::to_string(newest));  // the next event: newest + 1
    }
  }
  return deleted;
}

std::vector<int64_t> SqliteQueueTxn::PrunableFinished(int64_t before_time, int64_t keep_complete,
                                                      int64_t keep_failed) {
  std::vector<int64_t> ids;
  {
    auto& s = Stmt("SELECT id FROM tasks WHERE state IN (4, 5) AND finished_at < ? LIMIT 10000");
    s.bind(1, before_time);
    while (s.executeStep()) ids.push_back(s.getColumn(0).getInt64());
  }
  for (auto [state, keep] : {std::pair{4, keep_complete}, std::pair{5, keep_failed}}) {
    // "state IN (4, 5)" is redundant but lets SQLite use the partial index
    // tasks_finished (its WHERE must appear in the query): without it the
    // newest-first order is a sort of the whole history at every prune.
    auto& s = Stmt(
        "SELECT id FROM tasks WHERE state IN (4, 5) AND state = ? AND finished_at >= ? "
        "ORDER BY finished_at DESC LIMIT 10000 OFFSET ?");
    s.bind(1, state);
    s.bind(2, before_time);
    s.bind(3, keep);
    while (s.executeStep()) ids.push_back(s.getColumn(0).getInt64());
  }
  return ids;
}

// --- Scheduler file ------------------------------------------------------------

std::vector<Task> SqliteSchedTxn::Due(int64_t now, int64_t limit) {
  auto& s = Stmt(kSelect + "WHERE run_at <= ? ORDER BY run_at, seq LIMIT ?");
  s.bind(1, now);
  s.bind(2, limit > 0 ? limit : int64_t{-1});
  return Tasks(s);
}

std::vector<Task> SqliteSchedTxn::InTimeOrder(int64_t limit) {
  auto& s = Stmt(kSelect + "ORDER BY run_at, seq LIMIT ?");
  s.bind(1, limit > 0 ? limit : int64_t{-1});
  return Tasks(s);
}

int64_t SqliteSchedTxn::DeleteAll() {
  FlushCounts();
  Forget();
  auto& s = Stmt("DELETE FROM tasks");
  return s.exec();
}

}  // namespace taskqueue::state
