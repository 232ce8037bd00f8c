// RunProcess and BackgroundProcess: run a real program from an integration
// test with a chosen environment, capture its stdout and stderr, and get its
// exit status, with a timeout so that a hung program fails the test instead
// of hanging it. Header-only so that any integration test can use it.
//
// Thread-safety: each object is used from one thread. Spawning uses
// posix_spawn, which is safe in a multi-threaded test binary.
#ifndef TASKQUEUE_TESTS_INTEGRATION_RUN_PROCESS_H_
#define TASKQUEUE_TESTS_INTEGRATION_RUN_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace taskqueue::testing {

struct ProcessResult {
  int exit_code = -1;      // the exit status, or -1 when killed by a signal
  int term_signal = 0;     // the signal that killed it, or 0
  bool timed_out = false;  // killed by RunProcess after the timeout
  bool spawn_failed = false;
  std::string out;  // everything written to stdout
  std::string err;  // everything written to stderr
};

struct RunOptions {
  // Variables to set (overriding the test's own environment).
  std::map<std::string, std::string> env;
  // Variables to remove from the inherited environment. A trailing '*'
  // removes every variable with that prefix ("TASKQUEUE_*").
  std::vector<std::string> unset;
  // Written to the program's stdin, which is then closed (empty: /dev/null).
  std::string stdin_data;
  std::chrono::milliseconds timeout{30000};
};

namespace run_process_internal {

inline int64_t NowMillis() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

inline std::vector<std::string> BuildEnv(const RunOptions& options) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    bool drop = options.env.count(key) > 0;
    for (const auto& u : options.unset) {
      if (!u.empty() && u.back() == '*') {
        if (key.compare(0, u.size() - 1, u, 0, u.size() - 1) == 0) drop = true;
      } else if (key == u) {
        drop = true;
      }
    }
    if (!drop) out.push_back(entry);
  }
  for (const auto& [k, v] : options.env) out.push_back(k + "=" + v);
  return out;
}

inline void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace run_process_internal

// A program running in the background: read its output as it comes, then
// stop it. The destructor kills (SIGKILL) and reaps it if still running.
class BackgroundProcess {
 public:
  BackgroundProcess() = default;
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
    }
    run_process_internal::CloseFd(in_fd_);
    run_process_internal::CloseFd(out_fd_);
    run_process_internal::CloseFd(err_fd_);
  }

  // Starts argv[0] (a path) with argv. False (and result().spawn_failed) if
  // it could not be started.
  bool Start(const std::vector<std::string>& argv, const RunOptions& options = {}) {
    using run_process_internal::CloseFd;
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0) return false;
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // A fresh process group: Kill() reaches whatever the program started.
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);

    std::vector<std::string> env = run_process_internal::BuildEnv(options);
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_fd_ = in[1];
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) {
      result_.spawn_failed = true;
      result_.err = std::string("posix_spawn ") + argv[0] + ": " + strerror(rc);
      CloseFd(in_fd_);
      return false;
    }
    pid_ = pid;
    if (!options.stdin_data.empty()) {
      // Small inputs only: the pipe buffer (64 KiB) must hold it.
      ssize_t n = write(in_fd_, options.stdin_data.data(), options.stdin_data.size());
      (void)n;
    }
    CloseFd(in_fd_);
    return true;
  }

  pid_t pid() const { return pid_; }

  // Reads output until `done(stdout so far)` is true, the program exits or
  // `timeout` passes. Returns whether `done` became true.
  bool ReadUntil(const std::function<bool(const std::string&)>& done,
                 std::chrono::milliseconds timeout) {
    const int64_t deadline = run_process_internal::NowMillis() + timeout.count();
    while (!done(result_.out)) {
      int64_t left = deadline - run_process_internal::NowMillis();
      if (left <= 0 || !PollOnce(static_cast<int>(left))) return done(result_.out);
    }
    return true;
  }

  // Waits for the program to exit (reading all its output), killing it with
  // SIGKILL after `timeout`. Returns the final result.
  const ProcessResult& Wait(std::chrono::milliseconds timeout) {
    const int64_t deadline = run_process_internal::NowMillis() + timeout.count();
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      int64_t left = deadline - run_process_internal::NowMillis();
      if (left <= 0) {
        result_.timed_out = true;
        if (pid_ > 0) kill(pid_, SIGKILL);
        break;
      }
      PollOnce(static_cast<int>(left));
    }
    Reap();
    return result_;
  }

  // Sends `sig` to the program, then waits as Wait() does.
  const ProcessResult& Stop(int sig, std::chrono::milliseconds timeout) {
    if (pid_ > 0) kill(pid_, sig);
    return Wait(timeout);
  }

  const ProcessResult& result() const { return result_; }

 private:
  // One poll over the open pipes; false once both are closed.
  bool PollOnce(int timeout_ms) {
    struct pollfd fds[2];
    int n = 0;
    int* which[2];
    for (int* fd : {&out_fd_, &err_fd_}) {
      if (*fd >= 0) {
        fds[n] = {*fd, POLLIN, 0};
        which[n++] = fd;
      }
    }
    if (n == 0) return false;
    int rc = poll(fds, n, timeout_ms);
    if (rc < 0 && errno != EINTR) return false;
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t got = read(*which[i], buf, sizeof buf);
      if (got > 0) {
        (which[i] == &out_fd_ ? result_.out : result_.err).append(buf, got);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        run_process_internal::CloseFd(*which[i]);
      }
    }
    return true;
  }

  void Reap() {
    if (pid_ <= 0) return;
    int status = 0;
    if (result_.timed_out) {
      waitpid(pid_, &status, 0);
    } else {
      // Both pipes closed; the program is exiting or has exited. A program
      // that closed its output but keeps running is killed after 10 s.
      const int64_t deadline = run_process_internal::NowMillis() + 10000;
      while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (run_process_internal::NowMillis() > deadline) {
          result_.timed_out = true;
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
          break;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, nullptr);
      }
    }
    pid_ = -1;
    if (WIFEXITED(status)) {
      result_.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result_.term_signal = WTERMSIG(status);
    }
  }

  pid_t pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
  ProcessResult result_;
};

// Runs argv to completion (or kills it after options.timeout) and returns
// its output and exit status.
inline ProcessResult RunProcess(const std::vector<std::string>& argv,
                                const RunOptions& options = {}) {
  BackgroundProcess p;
  if (!p.Start(argv, options)) return p.result();
  return p.Wait(options.timeout);
}

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_INTEGRATION_RUN_PROCESS_H_
