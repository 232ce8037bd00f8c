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

// Creates `dir` (mode 0700) and its parents if missing; an existing dir is
// left as it is.
Status EnsureStateDir(const std::filesystem::path& dir);

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_SQLITE_DATABASE_H_
