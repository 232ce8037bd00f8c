// The SQLite Store: two files, a statement cache per connection, and the
// mapping of SQLite and Boost errors to Status.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <boost/interprocess/exceptions.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>

#include "state/cross_file_lock.h"
#include "state/sqlite_database.h"
#include "state/sqlite_task_table.h"
#include "state/store.h"
#include "state/wal_syncer.h"

namespace taskqueue::state {
namespace {

// Turns an exception escaping a transaction into a Status naming the file.
Status FromException(const std::filesystem::path& file) {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode() & 0xff;
    const std::string where = " ('" + file.string() + "')";
    switch (code) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::Busy(std::string("state file is locked by another process: ") + e.what() +
                            where);
      case SQLITE_FULL:
        return Status::IOError(std::string("disk full: ") + e.what() + where);
      case SQLITE_READONLY:
      case SQLITE_PERM:
      case SQLITE_CANTOPEN:
        return Status::IOError(std::string("cannot write state file: ") + e.what() + where);
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return Status::Corruption(std::string("state file is damaged: ") + e.what() + where);
      case SQLITE_ERROR:
        return Status::InvalidArgument(std::string(e.what()) + where);
      default:
        return Status::IOError(std::string(e.what()) + where);
    }
  } catch (const boost::interprocess::interprocess_exception& e) {
    return Status::IOError(std::string("lock failed: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("bad JSON in state file: ") + e.what() + " ('" +
                              file.string() + "')");
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory");
  } catch (const std::exception& e) {
    return Status::IOError(std::string(e.what()) + " ('" + file.string() + "')");
  }
}

// How often WithQueueSyncLater's commits are synced at most, under a
// steady stream of them: the longest a commit waits to start reaching the
// disk. An fdatasync cost this VM 120-200 us of CPU; at 1,500 turns a second
// syncing each (or each few) took more CPU than any other part of a turn.
constexpr std::chrono::milliseconds kBackgroundSyncInterval{4};

struct Connection {
  std::unique_ptr<WalWatch> wal;  // outlives db, whose WAL hook points at it
  std::unique_ptr<SQLite::Database> db;
  std::unique_ptr<StatementCache> cache;
  // synchronous=NORMAL, left by WithQueueSyncLater, where the store's
  // durability asks for FULL: the next ordinary write sets FULL again.
  bool sync_deferred = false;

  // Closes in the order SQLite needs: statements, then the connection.
  void Close() noexcept {
    cache.reset();
    if (db) TrimWalBeforeClose(*db, *wal);
    db.reset();
  }
};

Result<Connection> OpenConnection(const std::filesystem::path& path, FileKind kind,
                                  const StoreOptions& options) {
  auto db = OpenStateFile(path, kind, options);
  if (!db.ok()) return db.status();
  Connection c;
  c.wal = std::make_unique<WalWatch>();
  c.db = std::move(db).value();
  WatchWal(*c.db, c.wal.get());
  c.cache = std::make_unique<StatementCache>(*c.db);
  return c;
}

template <typename Txn, typename Fn>
Status RunTransaction(Connection& c, const std::filesystem::path& file, bool write, const Fn& fn) {
  bool began = false;
  try {
    // Prepared once per connection: sqlite3_exec would parse them again
    // on every transaction.
    c.cache->Get(write ? "BEGIN IMMEDIATE" : "BEGIN").exec();
    began = true;
    Txn txn(*c.db, *c.cache);
    Status status = fn(txn);
    if (status.ok()) txn.FlushCounts();
    c.cache->ResetAll();  // no statement may hold the snapshot past the end
    c.cache->Get(status.ok() ? "COMMIT" : "ROLLBACK").exec();
    return status;
  } catch (...) {
    Status status = FromException(file);
    c.cache->ResetAll();
    if (began) {
      try {
        c.db->exec("ROLLBACK");
      } catch (...) {
        // The transaction may already be gone (SQLite rolls back on some
        // errors by itself); nothing more to undo.
      }
    }
    return status;
  }
}

class SqliteStore : public Store {
 public:
  SqliteStore(StoreOptions options, Connection queue)
      : options_(std::move(options)), queue_(std::move(queue)) {}

  Status WithQueue(bool write, const std::function<Status(QueueTxn&)>& fn) override {
    std::lock_guard<std::recursive_mutex> guard(mu_);
    if (write && queue_.sync_deferred) {
      TQ_RETURN_IF_ERROR(SetSynchronous(queue_, "FULL"));
      queue_.sync_deferred = false;
    }
    return RunTransaction<SqliteQueueTxn>(queue_, queue_file(), write, fn);
  }

  Status WithSched(bool write, const std::function<Status(SchedTxn&)>& fn) override {
    std::lock_guard<std::recursive_mutex> guard(mu_);
    if (!sched_.db) {
      auto c = OpenConnection(sched_file(), FileKind::kSched, options_);
      if (!c.ok()) return c.status();
      sched_ = std::move(c).value();
    }
    return RunTransaction<SqliteSchedTxn>(sched_, sched_file(), write, fn);
  }

  Status WithQueueSyncLater(const std::function<Status(QueueTxn&)>& fn) override {
    std::lock_guard<std::recursive_mutex> guard(mu_);
    // With durability normal every commit already works this way (and the
    // WAL reaches the disk at checkpoints).
    if (options_.durability != Durability::kFull) {
      return RunTransaction<SqliteQueueTxn>(queue_, queue_file(), true, fn);
    }
    if (!queue_syncer_) {
      try {
        queue_syncer_ = std::make_unique<WalSyncer>(queue_file().string() + "-wal",
                                                    options_.sync_file, kBackgroundSyncInterval);
      } catch (const std::system_error& e) {  // no thread to be had
        return Status::IOError(std::string("cannot start the background sync thread: ") + e.what());
      }
    }
    TQ_RETURN_IF_ERROR(queue_syncer_->TakeError());
    // synchronous=NORMAL skips the commit's own fsync; the WAL still keeps
    // the file consistent, and a later commit's fsync (or the syncer's)
    // covers this one's frames, which come before it in the WAL. It stays
    // set until an ordinary write: a daemon's turns follow one another.
    if (!queue_.sync_deferred) {
      TQ_RETURN_IF_ERROR(SetSynchronous(queue_, "NORMAL"));
      queue_.sync_deferred = true;
    }
    Status status = RunTransaction<SqliteQueueTxn>(queue_, queue_file(), true, fn);
    queue_syncer_->Request();
    return status;
  }

  Status WaitSynced() override {
    WalSyncer* syncer = nullptr;
    {
      std::lock_guard<std::recursive_mutex> guard(mu_);
      syncer = queue_syncer_.get();
    }
    return syncer ? syncer->WaitSynced() : Status::OK();
  }

  Status WithCrossFileLock(const std::function<Status()>& fn) override {
    auto lock_path = options_.state_dir / (options_.name + ".lock");
    return WithFileLock(lock_path, options_.busy_timeout, fn);
  }

  std::filesystem::path queue_file() const override {
    return options_.state_dir / (options_.name + "_queue.db");
  }
  std::filesystem::path sched_file() const override {
    return options_.state_dir / (options_.name + "_sched.db");
  }

  ~SqliteStore() override {
    queue_syncer_.reset();  // the last background write first
    queue_.Close();
    sched_.Close();
  }

 private:
  StoreOptions options_;
  // Recursive: a callback may need the other file (the caller orders them).
  std::recursive_mutex mu_;
  Connection queue_;
  Connection sched_;
  // Created by the first WithQueueSyncLater (durability full only).
  std::unique_ptr<WalSyncer> queue_syncer_;

  Status SetSynchronous(Connection& c, const char* level) {
    try {
      c.cache->Get(std::string("PRAGMA synchronous=") + level).exec();
      c.cache->ResetAll();
      return Status::OK();
    } catch (...) {
      return FromException(queue_file());
    }
  }
};

}  // namespace

Result<std::unique_ptr<Store>> Store::OpenSqlite(const StoreOptions& options) {
  TQ_RETURN_IF_ERROR(EnsureStateDir(options.state_dir));
  auto path = options.state_dir / (options.name + "_queue.db");
  auto c = OpenConnection(path, FileKind::kQueue, options);
  if (!c.ok()) return c.status();
  return std::unique_ptr<Store>(new SqliteStore(options, std::move(c).value()));
}

}  // namespace taskqueue::state
