// Opening a state file: create it with its schema, or check that an existing
// one is ours (application_id and user_version) and refuse anything else.
// Internal to state/.
#ifndef TASKQUEUE_STATE_SQLITE_DATABASE_H_
#define TASKQUEUE_STATE_SQLITE_DATABASE_H_

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <memory>

#include "state/store.h"
#include "taskqueue/status.h"

namespace taskqueue::state {

enum class FileKind { kQueue, kSched };

// Opens `path` as a state file of `kind`, creating it if missing. A file that
// is not a taskqueue database of that kind gives Corruption naming the file,
// unless options.recover: then it is moved to <path>.broken and a new one is
// made. Permission problems give IOError naming the file and the reason.
Result<std::unique_ptr<SQLite::Database>> OpenStateFile(const std::filesystem::path& path,
                                                        FileKind kind,
                                                        const StoreOptions& options);

// What a connection knows of its WAL.
struct WalWatch {
  // Frames the WAL held after this connection's last commit (SQLite's WAL
  // hook reports it).
  int frames = 0;
  // Frames after which a commit checkpoints: about 4 MiB of WAL.
  int checkpoint_frames = 1000;
};

// Installs a WAL hook on `db` that records the frame count in `*watch` and
// checkpoints (passively) once the WAL holds about 4 MiB, as SQLite's own
// automatic checkpoint does with its default 1,000 frames of 4 KiB. `watch`
// must outlive the connection.
void WatchWal(SQLite::Database& db, WalWatch* watch);

// Called just before a connection closes. Connections do not checkpoint on
// close (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE: a CLI call would pay for it on
// every exit), but a process that opens a state file nobody else holds
// open must read the whole WAL to rebuild its index, so a WAL that only
// short-lived processes write would grow without end and make every call
// slower. So: if the WAL has grown past a few hundred frames, checkpoint it
// and truncate it to zero, without waiting for anyone (when another process
// is reading or writing, it is left for later). Never throws.
void TrimWalBeforeClose(SQLite::Database& db, const WalWatch& watch) noexcept;

// Creates `dir` (mode 0700) and its parents if missing; an existing dir is
// left as it is.
Status EnsureStateDir(const std::filesystem::path& dir);

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_SQLITE_DATABASE_H_
