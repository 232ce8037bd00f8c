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
// Thread-safety: an OutputFile is used by one thread; the functions are
// otherwise stateless.
#ifndef TASKQUEUED_OUTPUT_FILE_H_
#define TASKQUEUED_OUTPUT_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "taskqueue/status.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

class OutputFile {
 public:
  // Opens the output of a run for writing: the existing file (appended to,
  // or emptied with `truncate`), else a new unnamed one. Creates the
  // directory if missing. IOError naming the file.
  static Result<OutputFile> Open(const std::filesystem::path& path, bool truncate);

  OutputFile() = default;
  OutputFile(OutputFile&&) = default;
  OutputFile& operator=(OutputFile&&) = default;

  // The descriptor the child gets as stdout and stderr.
  int fd() const { return fd_.get(); }
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

  UniqueFd fd_;
  std::filesystem::path path_;
  bool named_ = false;
  bool cut_ = false;
};

// The output of `pid`, a child of a previous daemon adopted after a
// restart: if it still writes to an unnamed output file (fd 1), gives that
// file its name at `path`. Best effort.
void NameOrphanOutput(pid_t pid, const std::filesystem::path& path);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_OUTPUT_FILE_H_
