#include "state/sqlite_database.h"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "state/sqlite_util.h"
#include "state/state_vfs.h"

namespace taskqueue::state {
namespace {

// A busy handler that tries again after 50 us, doubling up to 2 ms between
// tries, until `arg` (the busy timeout in ms) worth of sleeping has passed.
int FineBusyHandler(void* arg, int count) {
  const int64_t timeout_us = static_cast<int64_t>(reinterpret_cast<intptr_t>(arg)) * 1000;
  auto delay_us = [](int n) -> int64_t { return n < 6 ? int64_t{50} << n : 2000; };
  const int64_t slept_us =
      count <= 6 ? 50 * ((int64_t{1} << count) - 1) : 3150 + int64_t{count - 6} * 2000;
  if (slept_us >= timeout_us) return 0;  // give up: SQLITE_BUSY
  ::usleep(static_cast<useconds_t>(delay_us(count)));
  return 1;
}

constexpr int kQueueAppId = 0x54515155;  // "TQQU"
constexpr int kSchedAppId = 0x54515343;  // "TQSC"
constexpr int kSchemaVersion = 5;

const char* const kQueueSchemaSql = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('next_id', '1'), ('next_seq', '1'), ('log_text_upto', '0');
-- Run order of waiting and deferred tasks only: a claim then removes one
-- entry instead of moving it, and a finish does not touch this index.
-- Queries must repeat "state IN (1, 2)" for SQLite to use it.
CREATE INDEX tasks_run_order ON tasks(state, priority, seq) WHERE state IN (1, 2);
CREATE INDEX tasks_pending_dupe ON tasks(dupe_key) WHERE state IN (1, 2);
-- Tasks by command, for the processors' is_dupe and overrides and for
-- lists by command. Not processing tasks (few; a list of them walks
-- tasks_state_id): a claim then only removes an entry and a finish only
-- adds one, a page less in each of the daemon's commits. Queries must
-- repeat "state <> 3" for SQLite to use it.
CREATE INDEX tasks_command_state_id ON tasks(command, state, id) WHERE state <> 3;
CREATE INDEX tasks_finished ON tasks(state, finished_at) WHERE state IN (4, 5);
CREATE TABLE logs(id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL,
                  time INTEGER NOT NULL, line TEXT NOT NULL);
CREATE INDEX logs_task ON logs(task_id, id);
-- Ids are never reused (readers follow with "id > last seen"), without
-- AUTOINCREMENT, whose sqlite_sequence row is one more page written per
-- event: an event takes max(id) + 1, or meta 'events_floor' + 1 when pruning
-- emptied the table.
CREATE TABLE events(id INTEGER PRIMARY KEY, type TEXT NOT NULL,
                    task_id INTEGER NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
CREATE VIRTUAL TABLE task_text USING fts5(text);
CREATE VIRTUAL TABLE log_text USING fts5(line);
-- Search text waiting to go into task_text. FTS5 writes a new segment and
-- rewrites its structure record at every commit that touches it (half the
-- cost of an enqueue); queueing the text here and indexing it in batches
-- keeps that off the enqueue path. Log lines need no such table: log_text
-- is brought up to the meta key 'log_text_upto' (a logs.id) in the same
-- batches.
CREATE TABLE text_pending(id INTEGER PRIMARY KEY, text TEXT NOT NULL);
)sql";

// Version 1 indexed text at every write and kept events_time for pruning.
const char* const kQueueMigrateV1Sql = R"sql(
CREATE TABLE text_pending(id INTEGER PRIMARY KEY, text TEXT NOT NULL);
INSERT INTO meta(key, value) SELECT 'log_text_upto', coalesce(max(id), 0) FROM logs;
DROP INDEX IF EXISTS events_time;
)sql";

// Version 2 numbered events with AUTOINCREMENT and kept every task in the
// run-order index. The sequence is carried over as the floor of new ids (in
// C++: a file born at version 3 and downgraded by a test has no
// sqlite_sequence).
const char* const kQueueMigrateV2Sql = R"sql(
CREATE TABLE events_v3(id INTEGER PRIMARY KEY, type TEXT NOT NULL,
                       task_id INTEGER NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
INSERT INTO events_v3(id, type, task_id, time, data) SELECT id, type, task_id, time, data FROM events;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;
DROP INDEX IF EXISTS tasks_run_order;
CREATE INDEX tasks_run_order ON tasks(state, priority, seq) WHERE state IN (1, 2);
)sql";

void MigrateQueueV2(SQLite::Database& db) {
  int64_t floor = 0;
  if (db.tableExists("sqlite_sequence")) {
    SQLite::Statement seq(
        db, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'events'");
    if (seq.executeStep()) floor = seq.getColumn(0).getInt64();
  }
  db.exec(kQueueMigrateV2Sql);
  SQLite::Statement set(db,
                        "INSERT INTO meta(key, value) VALUES ('events_floor', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  set.bind(1, std::to_string(floor));
  set.exec();
}

// Version 3 indexed every queued task by command, and kept the queue's
// total work time in meta 'work_time_ms' (still read, and added to the
// counts' work_ms).
const char* const kQueueMigrateV3Sql = R"sql(
DROP INDEX tasks_command_state_id;
CREATE INDEX tasks_command_state_id ON tasks(command, state, id) WHERE state <> 3;
)sql";

// Both files' counts gain work_ms at version 4. A file downgraded by a test
// may have the column already.
void AddCountsWorkTime(SQLite::Database& db) {
  SQLite::Statement has(db,
                        "SELECT count(*) FROM pragma_table_info('counts') WHERE name = 'work_ms'");
  has.executeStep();
  if (has.getColumn(0).getInt64() != 0) return;
  db.exec("ALTER TABLE counts ADD COLUMN work_ms INTEGER NOT NULL DEFAULT 0");
}

// Up to version 4 a trigger counted every change of a task's state; the
// code that changes it does now (SqliteTaskTable::Update). The counts are
// recomputed in the same step, so a file whose counts had drifted (an
// older daemon still running on it while a newer program upgraded it)
// starts over exact.
const char* const kMigrateV4CountsSql = R"sql(
DROP TRIGGER IF EXISTS tasks_count_update;
UPDATE counts SET n = 0;
INSERT INTO counts(command, state, n)
  SELECT command, state, count(*) FROM tasks WHERE true GROUP BY command, state
  ON CONFLICT(command, state) DO UPDATE SET n = excluded.n;
)sql";

const char* const kSchedSchemaSql = R"sql(
CREATE INDEX tasks_due ON tasks(run_at, seq);
CREATE INDEX tasks_command_state_id ON tasks(command, state, id);
)sql";

std::string Describe(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// Why a file could not be opened, in the words of the OS when it has some.
Status OpenError(const std::filesystem::path& path, const std::string& sqlite_message) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return Status::IOError("Unable to open state file " + Describe(path) + ": Is a directory");
    }
    if (access(path.c_str(), R_OK | W_OK) != 0) {
      return Status::IOError("Unable to open state file " + Describe(path) + ": " +
                             std::strerror(errno));
    }
  }
  auto dir = path.parent_path();
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return Status::IOError("Unable to open state file " + Describe(path) +
                           ": directory not writable: " + std::strerror(errno));
  }
  return Status::IOError("Unable to open state file " + Describe(path) + ": " + sqlite_message);
}

// sqlite3_config() only works before SQLite initializes (which the first
// open, or registering the state VFS, does); later it returns SQLITE_MISUSE
// and changes nothing. So it is tried once, before the process's first open.
void TurnOffMemoryStatistics() {
  static const int tried = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)tried;
}

void ApplyConnectionSettings(SQLite::Database& db, const StoreOptions& options) {
  // Skip the checkpoint that SQLite runs when the last connection closes: a
  // CLI call would otherwise pay for copying the whole WAL on every exit.
  // Checkpoints still happen automatically as the WAL grows.
  sqlite3_db_config(db.getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // Not sqlite3_busy_timeout(): its handler sleeps 1, 2, 5, 10, 15... ms
  // between tries, so a writer that waits for another's commit (usually an
  // fsync, well under a millisecond) loses milliseconds; taskqueued's
  // enqueue-to-start latency is made of such waits. (Added by the daemon
  // helper.)
  sqlite3_busy_handler(
      db.getHandle(), FineBusyHandler,
      reinterpret_cast<void*>(static_cast<intptr_t>(options.busy_timeout.count())));
  db.exec(options.durability == Durability::kFull ? "PRAGMA synchronous=FULL"
                                                  : "PRAGMA synchronous=NORMAL");
}

// The WAL size at which a commit checkpoints: SQLite's default automatic
// checkpoint (1,000 frames) with the 4 KiB pages it assumes. Counting frames
// instead would checkpoint our 1 KiB-page files four times as often, and
// each checkpoint costs two fsyncs even with durability=normal: at 1,000
// frames, processing ran 10-30% slower on this VM (bench/library_bench).
constexpr int kAutoCheckpointBytes = 4 << 20;
// A WAL longer than this is truncated when a connection closes. Rebuilding
// the WAL index of a file nobody holds open reads every frame (a few
// microseconds each), while a truncating checkpoint costs two fsyncs: at
// about 10 frames per enqueue this truncates every 25 or so CLI calls and
// keeps the rebuild under a millisecond.
constexpr int kTrimOnCloseFrames = 256;

int WalHook(void* arg, sqlite3* db, const char* schema, int frames) {
  static_cast<WalWatch*>(arg)->frames = frames;
  if (frames >= static_cast<WalWatch*>(arg)->checkpoint_frames) {
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;  // a failed checkpoint is retried after the next commit
}

}  // namespace

void WatchWal(SQLite::Database& db, WalWatch* watch) {
  // Files keep the page size they were made with (1 KiB, or 4 KiB before).
  int page_size = 0;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.getHandle(), "PRAGMA page_size", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    page_size = sqlite3_column_int(stmt, 0);
  }
  sqlite3_finalize(stmt);
  if (page_size > 0) watch->checkpoint_frames = kAutoCheckpointBytes / page_size;
  sqlite3_wal_hook(db.getHandle(), WalHook, watch);
}

void TrimWalBeforeClose(SQLite::Database& db, const WalWatch& watch) noexcept {
  if (watch.frames < kTrimOnCloseFrames) return;
  sqlite3* handle = db.getHandle();
  sqlite3_busy_handler(handle, nullptr, nullptr);  // do not wait for others
  sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

namespace {

// A new queue file beside a scheduler file that holds tasks: the old queue
// file was moved aside (--recover) or emptied. Both files share the queue
// file's id counter, so the new one must count on from the scheduler's
// highest id: restarting at 1 would hand a scheduled task's id to a new
// task, and promoting the scheduled one would then replace it.
void StartIdsAfterScheduler(SQLite::Database& db, const std::filesystem::path& queue_path) {
  const std::string name = queue_path.filename().string();
  const std::string suffix = "_queue.db";
  if (name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return;
  }
  std::filesystem::path sched_path = queue_path;
  sched_path.replace_filename(name.substr(0, name.size() - suffix.size()) + "_sched.db");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(sched_path, ec)) return;
  int64_t highest = 0;
  try {
    SQLite::Database sched(sched_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, 0,
                           StateVfsName());
    SQLite::Statement max_id(sched, "SELECT coalesce(max(id), 0) FROM tasks");
    if (max_id.executeStep()) highest = max_id.getColumn(0).getInt64();
  } catch (const SQLite::Exception&) {
    // Not a scheduler file we can read: opening it as one reports why.
    return;
  }
  if (highest <= 0) return;
  SQLite::Statement set(db, "UPDATE meta SET value = ? WHERE key = 'next_id'");
  set.bind(1, std::to_string(highest + 1));
  set.exec();
}

// Creates the schema if the file is empty. Returns Corruption if the file
// holds something that is not ours.
Status EnsureSchema(SQLite::Database& db, const std::filesystem::path& path, FileKind kind) {
  const int want_app = kind == FileKind::kQueue ? kQueueAppId : kSchedAppId;
  auto read_ids = [&db](int* app, int* version) {
    SQLite::Statement a(db, "PRAGMA application_id");
    a.executeStep();
    *app = a.getColumn(0).getInt();
    SQLite::Statement v(db, "PRAGMA user_version");
    v.executeStep();
    *version = v.getColumn(0).getInt();
  };
  int app = 0, version = 0;
  read_ids(&app, &version);
  if (app == want_app && version == kSchemaVersion) return Status::OK();  // fast path
  if (app == want_app && version > kSchemaVersion) {
    return Status::NotSupported("State file " + Describe(path) + " has schema version " +
                                std::to_string(version) + ", newer than this program's " +
                                std::to_string(kSchemaVersion));
  }
  if (app != 0 && app != want_app) {
    return Status::Corruption("State file " + Describe(path) + " is not a taskqueue " +
                              (kind == FileKind::kQueue ? "queue" : "scheduler") + " file");
  }
  // A database of another application must be refused before anything is
  // written to it (journal_mode=WAL below rewrites its header). Ids are read
  // again after the count: a concurrent opener may have just created ours.
  {
    SQLite::Statement count(db, "SELECT count(*) FROM sqlite_master");
    count.executeStep();
    const bool has_tables = count.getColumn(0).getInt64() != 0;
    count.reset();
    read_ids(&app, &version);
    if (has_tables && app == 0) {
      return Status::Corruption("State file " + Describe(path) +
                                " is an SQLite database that taskqueue did not create");
    }
    if (app == want_app && version == kSchemaVersion) return Status::OK();
  }
  // Empty (new) file: create the schema under a write lock, checking again
  // in case another process created it first.
  // 1 KiB pages, not SQLite's default 4 KiB: a task's commit writes whole
  // pages, one per table or index entry it touches (about 8), and
  // checksumming and copying them into the WAL was a fifth of the
  // user-space instructions of processing a task. Measured with 1 KiB:
  // 12-14% fewer user and 15-17% fewer kernel instructions per enqueue and
  // per processed task; 512 saves nothing more. Only new files: the page
  // size of a WAL-mode file cannot change, so older files keep theirs.
  db.exec("PRAGMA page_size=1024");
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("BEGIN IMMEDIATE");
  try {
    read_ids(&app, &version);
    if (app == 0) {
      SQLite::Statement count(db, "SELECT count(*) FROM sqlite_master");
      count.executeStep();
      if (count.getColumn(0).getInt64() != 0) {
        db.exec("ROLLBACK");
        return Status::Corruption("State file " + Describe(path) +
                                  " is an SQLite database that taskqueue did not create");
      }
      db.exec(kTasksTableSql);
      db.exec(kind == FileKind::kQueue ? kQueueSchemaSql : kSchedSchemaSql);
      if (kind == FileKind::kQueue) StartIdsAfterScheduler(db, path);
      db.exec("PRAGMA application_id=" + std::to_string(want_app));
      db.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    } else if (app != want_app) {
      db.exec("ROLLBACK");
      return Status::Corruption("State file " + Describe(path) + " is not a taskqueue file");
    } else if (version < kSchemaVersion) {
      if (kind == FileKind::kQueue) {
        if (version < 2) db.exec(kQueueMigrateV1Sql);
        if (version < 3) MigrateQueueV2(db);
        if (version < 4) db.exec(kQueueMigrateV3Sql);
      }
      if (version < 4) AddCountsWorkTime(db);
      if (version < 5) db.exec(kMigrateV4CountsSql);
      db.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    }
    db.exec("COMMIT");
  } catch (...) {
    try {
      db.exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
  return Status::OK();
}

// SQLite's quick_check of the whole file: Corruption naming the file and
// the first problem found, or OK.
Status QuickCheck(SQLite::Database& db, const std::filesystem::path& path) {
  try {
    SQLite::Statement check(db, "PRAGMA quick_check(1)");
    std::string result = check.executeStep() ? check.getColumn(0).getString() : "no answer";
    if (result == "ok") return Status::OK();
    return Status::Corruption("State file " + Describe(path) + " is damaged (" + result + ")");
  } catch (const SQLite::Exception& e) {
    return Status::Corruption("State file " + Describe(path) + " is damaged (" + e.what() + ")");
  }
}

Status MoveAside(const std::filesystem::path& path) {
  std::error_code ec;
  auto broken = path;
  broken += ".broken";
  std::filesystem::rename(path, broken, ec);
  if (ec) {
    return Status::IOError("Cannot move " + Describe(path) + " aside: " + ec.message());
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    auto side = path;
    side += suffix;
    std::filesystem::remove(side, ec);
  }
  return Status::OK();
}

}  // namespace

Status EnsureStateDir(const std::filesystem::path& dir) {
  if (dir.empty()) return Status::InvalidArgument("No state directory supplied.");
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return Status::IOError("State directory '" + dir.string() + "' is not a directory");
    }
    return Status::OK();
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::IOError("Cannot create state directory '" + dir.string() + "': " + ec.message());
  }
  chmod(dir.c_str(), 0700);
  return Status::OK();
}

Result<std::unique_ptr<SQLite::Database>> OpenStateFile(const std::filesystem::path& path,
                                                        FileKind kind,
                                                        const StoreOptions& options) {
  if (!options.sqlite_memory_statistics) TurnOffMemoryStatistics();
  // Processes that open a new queue at the same moment race to create its
  // schema and switch it to WAL; SQLite then answers some of them BUSY
  // without calling the busy handler (it would risk a deadlock). The loser
  // opens again until the busy timeout is spent.
  const auto busy_deadline = std::chrono::steady_clock::now() + options.busy_timeout;
  int busy_tries = 0;
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<SQLite::Database> db;
    try {
      db = std::make_unique<SQLite::Database>(
          path.string().c_str(),
          SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 0, StateVfsName());
    } catch (const SQLite::Exception& e) {
      return OpenError(path, e.what());
    }
    Status status;
    try {
      ApplyConnectionSettings(*db, options);
      status = EnsureSchema(*db, path, kind);
    } catch (const SQLite::Exception& e) {
      const int code = e.getErrorCode() & 0xff;
      if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
        status = Status::Corruption("State file " + Describe(path) +
                                    " is not a taskqueue database (" + e.what() + ")");
      } else if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
        if (std::chrono::steady_clock::now() < busy_deadline) {
          db.reset();
          ::usleep(static_cast<useconds_t>(std::min(1000 * (1 << std::min(busy_tries, 4)), 10000)));
          ++busy_tries;
          --round;  // not a recovery round
          continue;
        }
        return Status::Busy("State file " + Describe(path) + " is locked: " + e.what());
      } else {
        return OpenError(path, e.what());
      }
    }
    // Damage inside a file that opens (a page overwritten) shows only when
    // a query reaches it. Asked to recover, look at every page first, so
    // that a file that fails later is moved aside now (it was otherwise
    // "recovered" without change, and kept failing).
    if (status.ok() && options.recover && round == 0) status = QuickCheck(*db, path);
    if (status.ok()) return db;
    if (!status.IsCorruption() || !options.recover || round > 0) {
      if (status.IsCorruption()) {
        return Status::Corruption(status.message() +
                                  "; use --recover to move it aside and start empty");
      }
      return status;
    }
    db.reset();
    TQ_RETURN_IF_ERROR(MoveAside(path));
    if (options.on_moved_aside) options.on_moved_aside(path.string());
  }
  return Status::Corruption("State file " + Describe(path) + " could not be recovered");
}

}  // namespace taskqueue::state
