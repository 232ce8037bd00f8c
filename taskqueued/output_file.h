// A child's output file (<state_dir>/<name>.output/<id>.log): keeping it
// within the queue's max_output_bytes, and reading the task's result line.
//
// Children write to the file directly (not through a pipe to the daemon), so
// their output survives a daemon restart and a child never dies of SIGPIPE
// because its daemon did. The size is bounded from outside instead: the
// daemon cuts the file back to the limit while the child runs (every
// second) and when it ends, keeping the head and appending a note. Between
// two checks a child may write past the limit for up to a second.
//
// Thread-safety: stateless functions.
#ifndef TASKQUEUED_OUTPUT_FILE_H_
#define TASKQUEUED_OUTPUT_FILE_H_

#include <cstdint>
#include <filesystem>
#include <string>

namespace taskqueue::daemon {

// Cuts `file` back to `limit` bytes if it is longer. Returns true if it cut.
bool TruncateOutput(const std::filesystem::path& file, int64_t limit);

// At the end of a run: cuts the file back to `limit` bytes if it is longer
// (or was cut before, `was_truncated`), and then appends a line saying so.
void FinalizeOutput(const std::filesystem::path& file, int64_t limit, bool was_truncated);

// The text after "RESULT: " on the last line that starts with it, within the
// last 64 KiB of the file; "" if there is none. A child reports a result
// (Kue's job result) by printing such a line.
std::string ResultLine(const std::filesystem::path& file);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_OUTPUT_FILE_H_
