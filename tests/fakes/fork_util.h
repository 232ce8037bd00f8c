// Helpers for tests that fork real producer processes: run a function in N
// children and collect their exit statuses, and read what they report
// through a pipe.
//
// A child runs only the given function and leaves with _exit(), so no gtest
// or static destructor runs twice. It must open its own Queue: connections
// opened by the parent are never used across fork.
//
// Thread-safety: call from the test's main thread; fork() in a process with
// other threads is safe here only because the children touch nothing but
// their own freshly opened state.
#ifndef TASKQUEUE_TESTS_FAKES_FORK_UTIL_H_
#define TASKQUEUE_TESTS_FAKES_FORK_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace taskqueue::testing {

// The read and write ends of a pipe; closes what is still open on
// destruction.
class Pipe {
 public:
  Pipe() {
    if (pipe(fds_) != 0) fds_[0] = fds_[1] = -1;
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  void CloseRead() {
    if (fds_[0] >= 0) close(fds_[0]);
    fds_[0] = -1;
  }
  void CloseWrite() {
    if (fds_[1] >= 0) close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2];
};

// Writes one line to `fd` with a single write(2) (atomic for lines shorter
// than PIPE_BUF, so children sharing a pipe never interleave).
inline bool WriteLine(int fd, const std::string& line) {
  std::string text = line + "\n";
  return write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// Reads lines from `fd` as they arrive. Next() returns false at end of file.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  bool Next(std::string* line) {
    for (;;) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      char chunk[4096];
      ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;  // a partial last line (writer killed) is dropped
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

// Forks a child running fn() and leaving with _exit(fn()). Returns its pid,
// or -1 if fork failed.
inline pid_t ForkChild(const std::function<int()>& fn) {
  fflush(nullptr);  // nothing buffered may be written twice
  pid_t pid = fork();
  if (pid == 0) {
    int code = 1;
    try {
      code = fn();
    } catch (...) {
      code = 2;
    }
    _exit(code);
  }
  return pid;
}

// Waits for `pid`; returns its exit code, 128+signal if killed, -1 on error.
inline int WaitExit(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_FAKES_FORK_UTIL_H_
