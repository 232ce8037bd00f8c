#include "state/state_vfs.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace taskqueue::state {
namespace {

sqlite3_vfs* g_base_vfs = nullptr;
sqlite3_vfs g_state_vfs;

// --- Gathering a transaction's WAL appends --------------------------------
//
// SQLite appends each frame to the WAL with two write calls, its 24-byte
// header and then its page, so a commit of 9 pages costs 18 system calls,
// each of which looks up, locks and dirties one or two page-cache pages.
// Measured, that was a quarter of all the CPU time of processing a task.
//
// A WalFile holds contiguous appends in a buffer and writes them in one
// call. Correctness rests on one rule: a frame must be in the file before
// any other connection can learn it exists. SQLite publishes frames to other
// connections only by updating the WAL index after sqlite3WalFrames has
// written them all, and a transaction's frames become visible only with its
// commit frame (the one whose header names the database size). So the
// buffer is written out
//   - with each write that follows a commit frame's header (its page, and
//     any padding frames after it), before SQLite goes on to publish them,
//   - before any write that does not append to it (SQLite overwrites a frame
//     written earlier in the same transaction in place),
//   - before every other operation on the file (read, sync, truncate, size,
//     close), so this connection's own reads see what it wrote,
//   - and when it would pass kMaxGathered bytes (a commit of many pages).
// A crash before the commit frame is written loses only frames no one could
// have read: exactly what a crash before SQLite's own writes loses. A failed
// write is reported by the call that triggered it, which for the commit
// frame is the commit itself, so the transaction fails as it would have.

constexpr size_t kWalFrameHeaderSize = 24;
constexpr int64_t kWalHeaderSize = 32;
// The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the
// length to 17 bits, as it never expects more than a page) and reports a
// shorter write as a full disk, so one write must stay below that.
constexpr size_t kMaxGathered = 120 * 1024;

// A WAL file opened through the state VFS. SQLite allocates szOsFile zeroed
// bytes for it and frees them after xClose, so it is plain data; the base
// VFS's own file lives in the same allocation, right after it.
struct WalFile {
  sqlite3_file base;              // must be first: SQLite sees only this
  sqlite3_file* real;             // the base VFS's file
  char* gathered;                 // malloc'd, kMaxGathered bytes, or null
  size_t gathered_size;           // bytes held in `gathered`
  sqlite3_int64 gathered_offset;  // where gathered[0] goes in the file
  // A commit frame's header has been written, and no frame header of a later
  // transaction yet: every write now goes out at once (its page, and any
  // padding frames SQLite adds after it). A flag of its own, not a state of
  // the buffer: a flush forced by kMaxGathered between a commit frame's
  // header and its page must not lose track of the page.
  bool committing;
};

constexpr size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }
constexpr size_t kWalFileSize = RoundUp8(sizeof(WalFile));

WalFile* AsWal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }

// Writes out whatever is gathered. The buffer is emptied even if the write
// fails: SQLite then abandons the transaction, and stale frames must not be
// written later over newer ones.
int Flush(WalFile* f) {
  if (f->gathered_size == 0) return SQLITE_OK;
  const int size = static_cast<int>(f->gathered_size);
  f->gathered_size = 0;
  return f->real->pMethods->xWrite(f->real, f->gathered, size, f->gathered_offset);
}

bool IsFrameHeader(int amount, sqlite3_int64 offset) {
  return amount == static_cast<int>(kWalFrameHeaderSize) && offset >= kWalHeaderSize;
}

// Bytes 4-7 of a frame header: the database size in pages after a commit,
// 0 in the other frames of a transaction.
bool IsCommitFrame(const void* header) {
  const auto* bytes = static_cast<const unsigned char*>(header);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

int WalWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile* f = AsWal(file);
  const auto size = static_cast<size_t>(amount);
  if (IsFrameHeader(amount, offset)) {
    f->committing = IsCommitFrame(data);
  } else if (offset == 0) {
    f->committing = false;  // the WAL header: a restarted WAL, a new transaction
  }
  // A write that is not the header of a commit frame, made after one, is
  // that frame's page or comes after it: out with everything, now.
  const bool write_through = f->committing && !IsFrameHeader(amount, offset);
  const bool appends = f->gathered_size > 0 &&
                       offset == f->gathered_offset + static_cast<sqlite3_int64>(f->gathered_size);
  if (f->gathered_size > 0 && (!appends || f->gathered_size + size > kMaxGathered)) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (f->gathered == nullptr) f->gathered = static_cast<char*>(std::malloc(kMaxGathered));
  if (f->gathered == nullptr || size > kMaxGathered) {
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
  }
  if (f->gathered_size == 0) f->gathered_offset = offset;
  std::memcpy(f->gathered + f->gathered_size, data, size);
  f->gathered_size += size;
  return write_through ? Flush(f) : SQLITE_OK;
}

int WalClose(sqlite3_file* file) {
  WalFile* f = AsWal(file);
  const int flushed = Flush(f);
  const int closed = f->real->pMethods->xClose(f->real);
  std::free(f->gathered);
  f->gathered = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int WalRead(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  WalFile* f = AsWal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xRead(f->real, data, amount, offset);
}

int WalTruncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile* f = AsWal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}

std::atomic<uint64_t> g_wal_syncs{0};

int WalSync(sqlite3_file* file, int flags) {
  g_wal_syncs.fetch_add(1, std::memory_order_relaxed);
  WalFile* f = AsWal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int WalFileSize(sqlite3_file* file, sqlite3_int64* size) {
  WalFile* f = AsWal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

// The rest pass straight through to the base file.
int WalLock(sqlite3_file* file, int level) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xLock(real, level);
}
int WalUnlock(sqlite3_file* file, int level) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xUnlock(real, level);
}
int WalCheckReservedLock(sqlite3_file* file, int* out) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xCheckReservedLock(real, out);
}
int WalFileControl(sqlite3_file* file, int op, void* arg) {
  WalFile* f = AsWal(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}
int WalSectorSize(sqlite3_file* file) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xSectorSize(real);
}
int WalDeviceCharacteristics(sqlite3_file* file) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xDeviceCharacteristics(real);
}

// Methods of version 1 only: SQLite uses shared memory and memory mapping
// through the database file, never through its WAL file, and treats a WAL
// file without them as it treats any version-1 file.
const sqlite3_io_methods kWalMethods = {
    1,
    WalClose,
    WalRead,
    WalWrite,
    WalTruncate,
    WalSync,
    WalFileSize,
    WalLock,
    WalUnlock,
    WalCheckReservedLock,
    WalFileControl,
    WalSectorSize,
    WalDeviceCharacteristics,
    nullptr,  // xShmMap
    nullptr,  // xShmLock
    nullptr,  // xShmBarrier
    nullptr,  // xShmUnmap
    nullptr,  // xFetch
    nullptr,  // xUnfetch
};

// --- Opening -------------------------------------------------------------
//
// SQLite's unix VFS fsyncs the directory after the first sync of any WAL
// file it opened with SQLITE_OPEN_CREATE, whether or not the open created
// the file, so that a newly created file's directory entry is durable. A CLI
// call is a new process with a new connection, so every `taskqueuectl queue`
// paid a directory fsync (a device cache flush, as long as the WAL's own
// fdatasync) on top of the commit's. The WAL is never deleted while
// connections set SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, so it is created once per
// state file; the connection that first writes its header (opened with
// CREATE: the file was then missing or empty, as it is after
// TrimWalBeforeClose truncated it) syncs the directory. A WAL missing or
// empty (e.g. after a foreign sqlite3 shell checkpointed and deleted it) is
// opened exactly as SQLite would, directory sync included. If the open
// without CREATE fails (say the file vanished meanwhile), it is retried as
// SQLite asked.
int OpenBase(const char* name, sqlite3_file* file, int flags, int* out_flags) {
  if (name != nullptr && (flags & SQLITE_OPEN_WAL) != 0 && (flags & SQLITE_OPEN_CREATE) != 0) {
    struct stat st;
    if (::stat(name, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      const int rc =
          g_base_vfs->xOpen(g_base_vfs, name, file, flags & ~SQLITE_OPEN_CREATE, out_flags);
      if (rc == SQLITE_OK) return rc;
      // A failed xOpen leaves no open file behind (pMethods is null).
    }
  }
  return g_base_vfs->xOpen(g_base_vfs, name, file, flags, out_flags);
}

int StateVfsOpen(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags,
                 int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Other files are the base VFS's own, in the front of the allocation.
    return OpenBase(name, file, flags, out_flags);
  }
  WalFile* f = AsWal(file);
  std::memset(f, 0, sizeof(WalFile));
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kWalFileSize);
  const int rc = OpenBase(name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    f->base.pMethods = nullptr;  // SQLite then does not call xClose
    return rc;
  }
  f->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

}  // namespace

uint64_t StateVfsWalSyncs() { return g_wal_syncs.load(std::memory_order_relaxed); }

const char* StateVfsName() {
  static const char* const name = []() -> const char* {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (base == nullptr || base->iVersion < 1) return nullptr;
    g_base_vfs = base;
    g_state_vfs = *base;  // same methods and pAppData; only xOpen differs
    g_state_vfs.pNext = nullptr;
    g_state_vfs.zName = "taskqueue-state";
    g_state_vfs.szOsFile = static_cast<int>(kWalFileSize) + base->szOsFile;
    g_state_vfs.xOpen = StateVfsOpen;
    if (sqlite3_vfs_register(&g_state_vfs, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
    return g_state_vfs.zName;
  }();
  return name;
}

}  // namespace taskqueue::state
