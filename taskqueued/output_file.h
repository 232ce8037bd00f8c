// A child's output file (<state_dir>/<name>.output/<id>.log): creating it
// cheaply, keeping it within the queue's max_output_bytes, and reading the
// task's result line.
//
// Children write to the file directly (not through a pipe to the daemon), so
// their output survives a daemon restart and a child never dies of SIGPIPE
// because its daemon did. The size is bounded from outside instead: the
// daemon cuts the file back to the limit while the child runs (every
// second) and when it ends, keeping the head and appending a note.
//
// Creating a named file costs a directory update, which on some file
// systems takes longer than running a short task (about 1 ms on ext4 on a
// virtual disk, against 0.15 ms for an inode alone). So a first attempt's
// output starts as an unnamed O_TMPFILE in the output directory and gets its
// name only when there is something in it: within a second while the child
// runs, and when it ends. A task that printed nothing leaves no file.
//
// Even an inode alone cost the daemon about as much as the clone of a short
// task (ext4 searches its bitmaps past recently freed inodes): so an unnamed
// file that a run left empty, and that no process holds any more, serves
// the next run (SpareOutputFiles).
//
// Thread-safety: an OutputFile or SpareOutputFiles is used by one thread;
// the functions are otherwise stateless.
#ifndef TASKQUEUED_OUTPUT_FILE_H_
#define TASKQUEUED_OUTPUT_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "taskqueue/status.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

class SpareOutputFiles;

class OutputFile {
 public:
  // Opens the output of a run for writing: the existing file (appended to,
  // or emptied with `truncate`), else one of `spares` (if given and not
  // empty), else a new unnamed one. Creates the directory if missing.
  // IOError naming the file.
  static Result<OutputFile> Open(const std::filesystem::path& path, bool truncate,
                                 SpareOutputFiles* spares = nullptr);

  OutputFile() = default;
  OutputFile(OutputFile&&) = default;
  OutputFile& operator=(OutputFile&&) = default;

  // The daemon's own descriptor of the file.
  int fd() const { return fd_.get(); }
  // The descriptor to give a child as stdout and stderr (the caller closes
  // it once the child has it): the file opened anew, so that the child and
  // everything it starts share an open file description of their own, and
  // SpareOutputFiles can tell when none of them holds it any more. Should
  // that fail, a duplicate of fd(), and the file is never reused. IOError if
  // neither works.
  Result<UniqueFd> ForChild();
  const std::filesystem::path& path() const { return path_; }

  // While the child runs: names the file if it has content, and cuts it back
  // to `limit` bytes if it grew past it.
  void Check(int64_t limit);
  // When the run ended: cuts it back to `limit` (appending a note if it
  // was cut now or before) and names it if it has content.
  void Finish(int64_t limit);
  // The text after "RESULT: " on the last line that starts with it, within
  // the last 64 KiB; "" if there is none. A child reports a result (Kue's
  // job result) by printing such a line.
  std::string ResultLine() const;

 private:
  OutputFile(UniqueFd fd, std::filesystem::path path, bool named)
      : fd_(std::move(fd)), path_(std::move(path)), named_(named) {}
  int64_t Size() const;
  void Name();

  friend class SpareOutputFiles;

  UniqueFd fd_;
  std::filesystem::path path_;
  bool named_ = false;
  bool cut_ = false;
  // ForChild() gave the child its own open file description.
  bool child_described_ = false;
};

// Output files that finished runs left empty and unnamed, kept for the runs
// that follow. A file is kept only if no process other than the daemon
// holds it: a process that escaped its task's group (setsid) and still
// holds the file could otherwise write into the next task's output. That is
// checked with a write lease (fcntl F_SETLEASE), which the kernel grants
// only while no other open file description of the file exists; where
// leases are not available, nothing is kept.
class SpareOutputFiles {
 public:
  // Keeps at most `capacity` files.
  explicit SpareOutputFiles(size_t capacity) : capacity_(capacity) {}

  // Takes `file`, whose run has ended (OutputFile::Finish), if it can serve
  // another run; otherwise closes it.
  void Offer(OutputFile file);
  // A kept file, now the output of a run at `path`; nullopt if none is kept.
  std::optional<OutputFile> Take(const std::filesystem::path& path);
  size_t size() const { return files_.size(); }

 private:
  const size_t capacity_;
  std::vector<OutputFile> files_;
};

// The output of `pid`, a child of a previous daemon adopted after a
// restart: if it still writes to an unnamed output file (fd 1), gives that
// file its name at `path`. Best effort.
void NameOrphanOutput(pid_t pid, const std::filesystem::path& path);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_OUTPUT_FILE_H_
