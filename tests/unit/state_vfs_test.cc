// The state VFS gathers a transaction's WAL appends and writes them with one
// call at the commit frame (state/state_vfs.cc). What must hold: a commit is
// in the file, for every other connection, when it returns; transactions too
// large for one write, spilled mid-transaction, or rolled back stay exact;
// and a commit of many frames costs a few write calls, not two per frame.
#include "state/state_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <string>

#include "fakes/test_util.h"

namespace taskqueue::state {
namespace {

using ::taskqueue::testing::TempDir;

// A raw SQLite connection through the state VFS, in WAL mode.
class Connection {
 public:
  // `vfs` null: the state VFS; "unix": SQLite's own, for comparison.
  explicit Connection(const std::string& path, const char* vfs = nullptr) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                   vfs ? vfs : StateVfsName());
    EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db_);
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=NORMAL");
    sqlite3_wal_hook(db_, &Connection::RecordFrames, &wal_frames_);
  }
  ~Connection() { sqlite3_close(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql`, expecting success.
  void Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  // The single integer `sql` returns.
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    std::string value;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return value;
  }
  // Frames in the WAL after this connection's last commit.
  int wal_frames() const { return wal_frames_; }

 private:
  static int RecordFrames(void* arg, sqlite3*, const char*, int frames) {
    *static_cast<int*>(arg) = frames;
    return SQLITE_OK;
  }
  sqlite3* db_ = nullptr;
  int wal_frames_ = 0;
};

// Write system calls this process has made so far (/proc/self/io).
int64_t WriteCalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  return -1;
}

const char* kSchema =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT);"
    "CREATE INDEX t_a ON t(a); CREATE INDEX t_b ON t(b); CREATE INDEX t_c ON t(c);";

TEST(StateVfsTest, ACommitIsVisibleToAnotherConnectionWhenItReturns) {
  TempDir dir;
  const std::string path = (dir.path() / "x.db").string();
  Connection writer(path), reader(path);
  writer.Exec(kSchema);
  for (int i = 1; i <= 50; ++i) {
    writer.Exec("INSERT INTO t(a, b, c) VALUES ('a" + std::to_string(i) + "', 'b', 'c')");
    ASSERT_EQ(reader.Int("SELECT count(*) FROM t"), i);
    ASSERT_EQ(reader.Text("SELECT a FROM t WHERE id = " + std::to_string(i)),
              "a" + std::to_string(i));
  }
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

TEST(StateVfsTest, ACommitOfManyFramesTakesAFewWritesNotTwoPerFrame) {
  TempDir dir;
  Connection db((dir.path() / "x.db").string());
  db.Exec(kSchema);
  // Enough rows that one more row's commit dirties a leaf of the table and
  // of each index: 4 pages or more.
  db.Exec("BEGIN");
  for (int i = 0; i < 2000; ++i) {
    const std::string n = std::to_string(i * 7919 % 2000);
    db.Exec("INSERT INTO t(a, b, c) VALUES ('a" + n + "', 'b" + n + "', 'c" + n + "')");
  }
  db.Exec("COMMIT");
  const int frames_before = db.wal_frames();
  const int64_t writes_before = WriteCalls();
  ASSERT_GE(writes_before, 0) << "/proc/self/io has no syscw";
  db.Exec("INSERT INTO t(a, b, c) VALUES ('a1000x', 'b1000x', 'c1000x')");
  const int64_t writes = WriteCalls() - writes_before;
  const int frames = db.wal_frames() - frames_before;
  ASSERT_GE(frames, 4);
  // SQLite alone writes each frame's header and page separately: 2 x frames.
  EXPECT_LE(writes, 2) << frames << " frames";
}

TEST(StateVfsTest, ATransactionLargerThanOneWriteIsCommittedWhole) {
  TempDir dir;
  const std::string path = (dir.path() / "x.db").string();
  Connection writer(path), reader(path);
  writer.Exec("CREATE TABLE big(id INTEGER PRIMARY KEY, blob BLOB)");
  // 3 MiB in one transaction: about 770 frames, far past one write's 120 KiB.
  writer.Exec(
      "INSERT INTO big(blob) VALUES (randomblob(1048576)), (zeroblob(1048576)), "
      "(randomblob(1048576))");
  EXPECT_EQ(reader.Int("SELECT sum(length(blob)) FROM big"), 3 * 1048576);
  EXPECT_EQ(reader.Int("SELECT length(blob) FROM big WHERE id = 2 AND blob = zeroblob(1048576)"),
            1048576);
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

// Whatever the size of a transaction, its commit frame's page is in the
// file when the commit returns, including when that page is the write that
// fills the gathering buffer: one transaction per size from 1 to about 70
// frames covers every position of the commit frame in it.
TEST(StateVfsTest, EveryTransactionSizeIsReadableByAnotherConnectionAtOnce) {
  TempDir dir;
  const std::string path = (dir.path() / "x.db").string();
  Connection writer(path), reader(path);
  writer.Exec("CREATE TABLE pages(id INTEGER PRIMARY KEY, n INTEGER, blob BLOB)");
  int64_t expected = 0;
  for (int rows = 1; rows <= 70; ++rows) {
    writer.Exec("BEGIN");
    for (int i = 0; i < rows; ++i) {
      // About one 4 KiB page each.
      writer.Exec("INSERT INTO pages(n, blob) VALUES (" + std::to_string(rows) +
                  ", randomblob(3900))");
    }
    writer.Exec("COMMIT");
    expected += rows;
    ASSERT_EQ(reader.Int("SELECT count(*) FROM pages WHERE length(blob) = 3900"), expected)
        << "after a transaction of " << rows << " rows";
    ASSERT_EQ(reader.Int("SELECT max(n) FROM pages"), rows);
  }
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

// With a tiny page cache SQLite writes pages to the WAL before the commit,
// reads them back, and rewrites frames in place; a rollback then discards
// them. The file must end up holding exactly what SQLite's own VFS makes of
// the same statements.
void SpillAndRollBack(Connection& writer) {
  writer.Exec("PRAGMA cache_size=5");
  writer.Exec(kSchema);
  auto fill = [&](const std::string& tag) {
    writer.Exec("BEGIN");
    for (int i = 0; i < 500; ++i) {
      const std::string n = tag + std::to_string(i * 7919 % 500);
      writer.Exec("INSERT INTO t(a, b, c) VALUES ('" + n + "', '" + n + "', '" + n + "')");
      // Rewrites rows (and pages) written earlier in this transaction.
      if (i % 50 == 49) writer.Exec("UPDATE t SET c = c || 'u' WHERE a LIKE '" + tag + "%'");
    }
  };
  fill("keep");
  writer.Exec("COMMIT");
  fill("drop");
  EXPECT_EQ(writer.Int("SELECT count(*) FROM t"), 1000);  // reads spilled pages back
  writer.Exec("ROLLBACK");
  writer.Exec("INSERT INTO t(a, b, c) VALUES ('after', 'after', 'after')");
}

const char* kContent = "SELECT group_concat(a || b || c, ',') FROM (SELECT * FROM t ORDER BY id)";

TEST(StateVfsTest, SpilledAndRolledBackTransactionsStayExact) {
  TempDir dir;
  const std::string path = (dir.path() / "x.db").string();
  Connection writer(path), reader(path);
  SpillAndRollBack(writer);
  Connection reference((dir.path() / "reference.db").string(), "unix");
  SpillAndRollBack(reference);

  EXPECT_EQ(reader.Int("SELECT count(*) FROM t"), 501);
  EXPECT_EQ(reader.Text(kContent), reference.Text(kContent));
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
  writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(reader.Text(kContent), reference.Text(kContent));
}

}  // namespace
}  // namespace taskqueue::state
