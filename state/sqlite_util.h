// Internal helpers for the SQLite store: a prepared-statement cache and the
// mapping between Task and a row of the tasks table. Internal to state/.
//
// Thread-safety: none; used under the Store's mutex.
#ifndef TASKQUEUE_STATE_SQLITE_UTIL_H_
#define TASKQUEUE_STATE_SQLITE_UTIL_H_

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "taskqueue/task.h"

namespace taskqueue::state {

// Prepared statements keyed by their SQL text, compiled once per connection.
class StatementCache {
 public:
  explicit StatementCache(SQLite::Database& db) : db_(db) {}
  // A reset statement with no bindings, ready to bind and run.
  SQLite::Statement& Get(const std::string& sql);
  // A reset statement that keeps the bindings of its last run, for a caller
  // that binds every parameter before each run: clearing them is a pass over
  // them all (an UPDATE of a task has 25), and no copy is bound without one.
  SQLite::Statement& GetToRebind(const std::string& sql);
  // Resets every statement handed out since the last call. Called when a
  // transaction ends: a statement left on a row (a LIMIT 1 lookup) would
  // otherwise keep the connection's read snapshot open past COMMIT, and the
  // next BEGIN IMMEDIATE after another process's write would fail at once
  // with SQLITE_BUSY, busy_timeout or not.
  void ResetAll();
  void Clear() {
    handed_out_.clear();
    cache_.clear();
  }

 private:
  SQLite::Statement& Find(const std::string& sql, bool clear_bindings);

  SQLite::Database& db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> cache_;
  // Statements Get returned since the last ResetAll (repeats allowed):
  // resetting only these keeps a transaction's end independent of how many
  // statements the connection has ever prepared.
  std::vector<SQLite::Statement*> handed_out_;
};

// The tasks table's columns in the order TaskFromRow reads them.
extern const char* const kTaskColumns;
// "?,?,...": as many placeholders as kTaskColumns has columns.
extern const char* const kTaskPlaceholders;

Task TaskFromRow(SQLite::Statement& row);
// Binds every column (1..N in kTaskColumns order).
void BindTask(SQLite::Statement& stmt, const Task& task, const std::string& dupe_key);
// Binds what an UPDATE of a task may change, by the same positions: the id
// (?1) and every column but command, argstring, args, dupe_key and
// created_at (?3 to ?6 and ?16), which stay unbound.
void BindTaskForUpdate(SQLite::Statement& stmt, const Task& task);

// A list of strings (args, deferral tags) as the tasks table stores it: a
// JSON array. Decoding gives the string elements of an array, and nothing
// for text that is not one. Plain printable ASCII takes a short path; the
// rest goes through nlohmann_json, with invalid UTF-8 replaced.
std::string EncodeStrings(const std::vector<std::string>& strings);
std::vector<std::string> DecodeStrings(const std::string& text);

// The tasks-table schema shared by both files.
extern const char* const kTasksTableSql;

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_SQLITE_UTIL_H_
