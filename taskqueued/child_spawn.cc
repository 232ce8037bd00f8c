#include "child_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

#include "signals.h"

extern char** environ;

namespace taskqueue::daemon {
namespace {

constexpr unsigned kCloseRangeCloexec = 1u << 2;  // CLOSE_RANGE_CLOEXEC, Linux 5.11

// Environment variables a task must not inherit from the daemon: ours are
// set per task, systemd's belong to the daemon alone.
bool Scrubbed(std::string_view entry) {
  static constexpr std::string_view kPrefixes[] = {
      "TASKQUEUE_TASK_ID=", "TASKQUEUE_STATE_DIR=", "TASKQUEUE_NAME=", "TASKQUEUE_ATTEMPT=",
      "NOTIFY_SOCKET=",     "LISTEN_FDS=",          "LISTEN_PID=",     "LISTEN_FDNAMES=",
      "WATCHDOG_USEC=",     "WATCHDOG_PID="};
  for (auto prefix : kPrefixes) {
    if (entry.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

void WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// /dev/null, opened once: every child's stdin.
int DevNull() {
  static const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd;
}

}  // namespace

Result<PendingChild> ForkChild(const Task& task, const ChildProcessor& processor,
                               const ChildLaunch& launch) {
  const int devnull = DevNull();
  int go_pipe[2];
  if (::pipe2(go_pipe, O_CLOEXEC) != 0) {
    return Status::IOError(std::string("pipe2 failed: ") + std::strerror(errno));
  }
  UniqueFd go_read(go_pipe[0]), go_write(go_pipe[1]);

  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls until exec.
  std::vector<std::string> argv_strings = processor.Argv(task);
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!Scrubbed(*e)) env_strings.emplace_back(*e);
  }
  env_strings.push_back("TASKQUEUE_TASK_ID=" + task.uuid());
  env_strings.push_back("TASKQUEUE_STATE_DIR=" + launch.state_dir.string());
  env_strings.push_back("TASKQUEUE_NAME=" + launch.queue_name);
  env_strings.push_back("TASKQUEUE_ATTEMPT=" + std::to_string(task.attempts_made));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  char comm[17] = {0};
  ::prctl(PR_GET_NAME, comm, 0, 0, 0);

  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // The write end must not stay open here, or a dead daemon would leave
    // this child waiting for ever instead of reading end-of-file.
    go_write.Reset();
    ::prctl(PR_SET_NAME, kUnreleasedComm, 0, 0, 0);
    SignalChannel::ResetForChild();
    ::setsid();
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(launch.output_fd, 1);
    ::dup2(launch.output_fd, 2);
    char go = 0;
    ssize_t n;
    do {
      n = ::read(go_read.get(), &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(kNotStartedExitStatus);
    ::prctl(PR_SET_NAME, comm, 0, 0, 0);
    environ = envp.data();
    if (!argv_strings.empty()) {
      // Descriptors the daemon opened without O_CLOEXEC (libraries do) must
      // not leak into the task.
      ::syscall(SYS_close_range, 3u, ~0u, kCloseRangeCloexec);
      if (std::strchr(argv[0], '/') != nullptr) {
        ::execve(argv[0], argv.data(), envp.data());
      } else {
        ::execvpe(argv[0], argv.data(), envp.data());
      }
      const int err = errno;
      WriteAll(2, "taskqueued: cannot execute ");
      WriteAll(2, argv[0]);
      WriteAll(2, ": ");
      WriteAll(2, std::strerror(err));
      WriteAll(2, "\n");
      ::_exit(kExecFailedExitStatus);
    }
    int status = 1;
    try {
      status = processor.RunInChild(task);
    } catch (const std::exception& e) {
      WriteAll(2, "taskqueued: RunInChild threw: ");
      WriteAll(2, e.what());
      WriteAll(2, "\n");
    } catch (...) {
      WriteAll(2, "taskqueued: RunInChild threw an unknown exception\n");
    }
    std::fflush(nullptr);
    ::_exit(status & 0xff);
  }
  return PendingChild{pid, std::move(go_write)};
}

bool Release(PendingChild& child) {
  const char go = 1;
  ssize_t n;
  do {
    n = ::write(child.go.get(), &go, 1);
  } while (n < 0 && errno == EINTR);
  child.go.Reset();
  return n == 1;
}

}  // namespace taskqueue::daemon
