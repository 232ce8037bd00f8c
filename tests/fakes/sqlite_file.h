// Reading and writing a state file directly, as another program would: how
// the upgrade and bad-input tests make a file of an older schema or a
// foreign database, and read its schema back. Failures are recorded as test
// failures.
//
// Thread-safety: each call opens and closes its own connection.
#ifndef TASKQUEUE_TESTS_FAKES_SQLITE_FILE_H_
#define TASKQUEUE_TESTS_FAKES_SQLITE_FILE_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

namespace taskqueue::testing {

using SqliteConnection = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

// A connection to `path` (null on failure, recorded).
inline SqliteConnection OpenSqliteFile(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open(path.c_str(), &db);
  EXPECT_EQ(rc, SQLITE_OK) << path << ": " << (db ? sqlite3_errmsg(db) : "out of memory");
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    db = nullptr;
  }
  return SqliteConnection(db, sqlite3_close);
}

// Runs `sql` (any number of statements) on the file `path`.
inline void ExecSql(const std::filesystem::path& path, const std::string& sql) {
  auto db = OpenSqliteFile(path);
  if (!db) return;
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "");
  sqlite3_free(err);
}

// The first column of the first row of `query` on the file `path`, as text
// ("" if there is no row or it is NULL).
inline std::string QueryText(const std::filesystem::path& path, const std::string& query) {
  auto db = OpenSqliteFile(path);
  if (!db) return "";
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db.get(), query.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db.get());
  std::string text;
  if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  return text;
}

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_FAKES_SQLITE_FILE_H_
