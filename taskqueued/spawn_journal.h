// SpawnJournal: <state_dir>/<name>.daemon.spawns, where each child's pid and
// start time are noted before its task may run: by the child itself just
// before it execs (SpawnChild), or by the daemon for a forked child waiting
// to be released (ForkChild).
//
// Why not the database alone: the pid must be on record before the child
// runs, or a daemon killed in between would leave a child no one knows of.
// It only has to survive a crash of the daemon, not a power loss (which ends
// the children too), and a write() to a file does that. So the child is
// released after one write() instead of after a database commit and its
// fsync; Queue::SetTaskProcess then commits while the child already runs.
// Once that commit is done the note is no longer needed, and the journal is
// emptied.
//
// The first line holds the boot id: notes from another boot are ignored.
//
// Thread-safety: not thread-safe; the daemon's main loop owns it.
#ifndef TASKQUEUED_SPAWN_JOURNAL_H_
#define TASKQUEUED_SPAWN_JOURNAL_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>

#include "taskqueue/status.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

class SpawnJournal {
 public:
  struct Entry {
    pid_t pid = 0;
    int64_t start_time = 0;
  };

  // The journal of queue `name` in `state_dir`.
  static std::filesystem::path PathFor(const std::filesystem::path& state_dir,
                                       const std::string& name);

  // The notes a previous daemon left (this boot's only), by task id; empty
  // if there is no journal.
  static std::map<int64_t, Entry> ReadLeftovers(const std::filesystem::path& path);

  // Opens the journal afresh (dropping old notes). REQUIRES: the daemon lock.
  static Result<std::unique_ptr<SpawnJournal>> Open(const std::filesystem::path& path);

  // Notes that task `id` runs as `pid`. IOError if the write failed.
  Status Note(int64_t id, pid_t pid, int64_t start_time);

  // For a child that notes itself before exec (SpawnChild): the journal's
  // descriptor (O_APPEND, close-on-exec), the line to write, and a call to
  // make once the child has written it.
  int fd() const { return fd_.get(); }
  // Formats the note of task `id` into `buf` and returns its length (at
  // most kMaxNoteSize). Async-signal-safe: no allocation, no locale.
  static size_t FormatNote(char* buf, int64_t id, pid_t pid, int64_t start_time) noexcept;
  static constexpr size_t kMaxNoteSize = 64;
  void NotedByChild() { dirty_ = true; }
  // Forgets every note (their pids are in the database now).
  void Clear();

 private:
  SpawnJournal(UniqueFd fd, size_t header_size) : fd_(std::move(fd)), header_size_(header_size) {}
  UniqueFd fd_;
  size_t header_size_;
  bool dirty_ = false;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_SPAWN_JOURNAL_H_
