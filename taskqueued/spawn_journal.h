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
// A child may even start before its claim is committed (see
// ClaimOptions::start_before_commit): its note then names the attempt and
// the run-order seq the claim gave it, which tell a restarted daemon that
// the task still waiting in the file is in fact running (recovery.cc).
//
// A note is kept until the run's pid or its end is committed (Forget, then
// Sync rewrites the file with the notes still needed). Every note is
// kNoteSize bytes, so that a rewrite cut short by a crash leaves whole
// notes behind, never a torn one; the leftover notes of earlier runs it may
// leave are told apart by their attempt and seq.
//
// The first line holds the boot id: notes from another boot are ignored.
//
// Thread-safety: not thread-safe; the daemon's main loop owns it. Children
// write their notes while the loop's thread waits for them (CLONE_VFORK).
#ifndef TASKQUEUED_SPAWN_JOURNAL_H_
#define TASKQUEUED_SPAWN_JOURNAL_H_

#include <sys/types.h>

#include <array>
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
    int64_t start_time = 0;  // /proc/PID/stat field 22
    int64_t attempt = 0;     // Task::attempts_made of the claimed run; 0: not known
    int64_t seq = 0;         // Task::seq when it was claimed; 0: not known
  };
  static constexpr size_t kNoteSize = 128;

  // The journal of queue `name` in `state_dir`.
  static std::filesystem::path PathFor(const std::filesystem::path& state_dir,
                                       const std::string& name);

  // The notes a previous daemon left (this boot's only), by task id; of
  // several notes of one task, the one of its latest attempt. Empty if there
  // is no journal. Reads notes of earlier versions (id, pid, start time).
  static std::map<int64_t, Entry> ReadLeftovers(const std::filesystem::path& path);

  // Opens the journal, keeping the notes a previous daemon left this boot
  // (leftovers()) in the file until the first Sync(): a restart cut short
  // before its recovery committed what they told it finds them again.
  // REQUIRES: the daemon lock.
  static Result<std::unique_ptr<SpawnJournal>> Open(const std::filesystem::path& path);
  const std::map<int64_t, Entry>& leftovers() const { return leftovers_; }

  // Notes that task `id` runs as `entry.pid`. IOError if the write failed.
  Status Note(int64_t id, const Entry& entry);

  // For a child that notes itself before exec (SpawnChild): the journal's
  // descriptor (O_APPEND, close-on-exec), the note to write, and a call to
  // make once the child has written it.
  int fd() const { return append_fd_.get(); }
  // Formats the note of task `id` into `buf` (kNoteSize bytes: the fields,
  // spaces, a newline). Async-signal-safe: no allocation, no locale.
  static void FormatNote(char* buf, int64_t id, const Entry& entry) noexcept;
  void NotedByChild(int64_t id, const Entry& entry);

  // The note of task `id`'s run as `pid` is no longer needed: its pid or
  // its end is committed. The file keeps it until Sync(). A later run of the
  // same task (another pid) keeps its note.
  void Forget(int64_t id, pid_t pid);
  // Rewrites the file with the notes not forgotten, if any was.
  void Sync();
  // Sync() once kCompactAfter forgotten notes are in the file. Until then
  // they are harmless: a restarted daemon tells them apart by their
  // attempt and seq, as the leftovers of a Sync cut short. It saves the
  // daemon a pwrite and an ftruncate on almost every turn of its loop.
  void Compact();
  static constexpr size_t kCompactAfter = 32;

 private:
  SpawnJournal(UniqueFd append_fd, UniqueFd rewrite_fd, size_t header_size, size_t file_size)
      : append_fd_(std::move(append_fd)),
        rewrite_fd_(std::move(rewrite_fd)),
        header_size_(header_size),
        file_size_(file_size) {}
  UniqueFd append_fd_;   // O_APPEND: notes are added whole
  UniqueFd rewrite_fd_;  // without O_APPEND, for pwrite at an offset
  size_t header_size_;
  size_t file_size_;  // as this process last wrote it
  std::map<int64_t, Entry> leftovers_;
  struct Kept {
    pid_t pid;
    std::array<char, kNoteSize> text;
  };
  std::map<int64_t, Kept> notes_;  // what the file must hold, by task id
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_SPAWN_JOURNAL_H_
