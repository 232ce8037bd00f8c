// The SQLite VFS every state file is opened through: SQLite's default (unix)
// VFS with two changes to how WAL files are handled, both about cost, not
// behaviour. See state_vfs.cc for why each is safe.
//
// 1. An existing, non-empty WAL file is opened without SQLITE_OPEN_CREATE,
//    which spares every short-lived process (each `taskqueuectl queue`) a
//    directory fsync.
// 2. A transaction's WAL appends are gathered in memory and handed to the
//    kernel as one write when its commit frame is complete, instead of two
//    writes (24-byte header, then page) per frame.
//
// Thread-safety: registration is thread-safe (done once); each open file is
// used by one connection at a time, as SQLite guarantees. Internal to state/.
#ifndef TASKQUEUE_STATE_STATE_VFS_H_
#define TASKQUEUE_STATE_STATE_VFS_H_

#include <cstdint>

namespace taskqueue::state {

// How many times SQLite has synced a WAL file through the state VFS in this
// process: for tests of which commits wait for the disk.
uint64_t StateVfsWalSyncs();

// The name of the state VFS, registering it on first use (never as the
// default). nullptr (SQLite's default VFS) if there is none to wrap.
const char* StateVfsName();

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_STATE_VFS_H_
