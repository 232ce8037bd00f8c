#include "child_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

#include "signals.h"
#include "spawn_journal.h"

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

// What a child execs, built before it exists: after that, only
// async-signal-safe calls.
struct ExecImage {
  std::vector<std::string> argv_strings, env_strings;
  std::vector<char*> argv, envp;
};

ExecImage BuildExecImage(const Task& task, const std::vector<std::string>& argv,
                         const ChildLaunch& launch) {
  ExecImage image;
  image.argv_strings = argv;
  image.argv.reserve(argv.size() + 1);
  for (auto& s : image.argv_strings) image.argv.push_back(s.data());
  image.argv.push_back(nullptr);
  size_t inherited = 0;
  while (environ != nullptr && environ[inherited] != nullptr) ++inherited;
  constexpr size_t kOwnVariables = 4;
  image.env_strings.reserve(inherited + kOwnVariables);
  image.envp.reserve(inherited + kOwnVariables + 1);
  for (size_t i = 0; i < inherited; ++i) {
    if (!Scrubbed(environ[i])) image.env_strings.emplace_back(environ[i]);
  }
  image.env_strings.push_back("TASKQUEUE_TASK_ID=" + task.uuid());
  image.env_strings.push_back("TASKQUEUE_STATE_DIR=" + launch.state_dir.string());
  image.env_strings.push_back("TASKQUEUE_NAME=" + launch.queue_name);
  image.env_strings.push_back("TASKQUEUE_ATTEMPT=" + std::to_string(task.attempts_made));
  for (auto& s : image.env_strings) image.envp.push_back(s.data());
  image.envp.push_back(nullptr);
  return image;
}

// In the child: its own session, default signal handling, and the task's
// stdin, stdout and stderr. Async-signal-safe.
void SetUpChild(int output_fd) {
  // Out of the daemon's process group before any signal is unblocked: a
  // Ctrl-C meant for a daemon run from a terminal must not reach the task.
  ::setsid();
  SignalChannel::ResetForChild();
  const int devnull = DevNull();
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(output_fd, 1);
  ::dup2(output_fd, 2);
}

// In the child: execs `image`, or reports why it could not on stderr (the
// task's output) and exits kExecFailedExitStatus. Async-signal-safe: it
// changes no memory of the process (a SpawnChild child shares the daemon's).
[[noreturn]] void ExecOrExit(const ExecImage& image) {
  // Descriptors the daemon opened without O_CLOEXEC (libraries do) must
  // not leak into the task.
  ::syscall(SYS_close_range, 3u, ~0u, kCloseRangeCloexec);
  char* const* argv = image.argv.data();
  char* const* envp = image.envp.data();
  if (std::strchr(argv[0], '/') != nullptr) {
    ::execve(argv[0], argv, envp);
  } else {
    // Searches the daemon's own PATH (the task's is the same).
    ::execvpe(argv[0], argv, envp);
  }
  const int err = errno;
  const char* why = ::strerrordesc_np(err);
  WriteAll(2, "taskqueued: cannot execute ");
  WriteAll(2, argv[0]);
  WriteAll(2, ": ");
  WriteAll(2, why != nullptr ? why : "unknown error");
  WriteAll(2, "\n");
  ::_exit(kExecFailedExitStatus);
}

// Field 22 of /proc/self/stat (the start time, in clock ticks since boot),
// or 0. Async-signal-safe: a stack buffer and system calls only.
int64_t OwnStartTimeFromProc() {
  char buf[1024];
  const int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return 0;
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from after the last ')'.
  const char* p = nullptr;
  for (ssize_t i = n - 1; i >= 0; --i) {
    if (buf[i] == ')') {
      p = buf + i + 1;
      break;
    }
  }
  if (p == nullptr) return 0;
  const char* const end = buf + n;
  for (int field = 3; field < 22; ++field) {  // skip fields 3..21
    while (p < end && *p == ' ') ++p;
    while (p < end && *p != ' ') ++p;
  }
  while (p < end && *p == ' ') ++p;
  int64_t value = 0;
  while (p < end && *p >= '0' && *p <= '9') value = value * 10 + (*p++ - '0');
  return value;
}

// CLOCK_BOOTTIME in clock ticks, the unit of /proc/PID/stat's start time
// (field 22: the boot-time clock read while the kernel creates the process,
// divided down to ticks); -1 if unknown. Async-signal-safe.
int64_t BootTicksNow(int64_t ns_per_tick) {
  timespec now;
  if (ns_per_tick <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &now) != 0) return -1;
  return (static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec) / ns_per_tick;
}

// The child's own start time, as /proc/self/stat gives it. The kernel reads
// the clock between the daemon's reading of `ticks_before_clone` and the
// child's first step: when both readings fall in the same tick, that is the
// start time. Reading /proc (16-33 us on the test VM, which the daemon
// spends waiting for the exec) is left for the rare clone that crosses a
// tick. Async-signal-safe.
int64_t OwnStartTime(int64_t ticks_before_clone, int64_t ns_per_tick) {
  if (ticks_before_clone >= 0 && BootTicksNow(ns_per_tick) == ticks_before_clone) {
    return ticks_before_clone;
  }
  return OwnStartTimeFromProc();
}

// Shared between the daemon and a SpawnChild child, which runs on `stack`
// in the daemon's memory while the daemon's calling thread is suspended.
struct SpawnContext {
  const ExecImage* image;
  int output_fd;
  int note_fd;
  int64_t task_id;
  int64_t attempt;
  int64_t seq;
  pid_t daemon_pid;
  int64_t ns_per_tick;         // 0: unknown
  int64_t ticks_before_clone;  // BootTicksNow() just before the clone, or -1
  // Written by the child:
  int64_t start_time;
  int note_errno;  // non-zero: the note was not written, and nothing ran
};

int SpawnedChildMain(void* arg) {
  auto* ctx = static_cast<SpawnContext*>(arg);
  ::prctl(PR_SET_NAME, kUnreleasedComm, 0, 0, 0);
  SetUpChild(ctx->output_fd);
  // The note must be on record before the task may run. The child writes
  // it itself: the daemon cannot, since it is suspended until the exec.
  const pid_t pid = static_cast<pid_t>(::syscall(SYS_getpid));
  ctx->start_time = OwnStartTime(ctx->ticks_before_clone, ctx->ns_per_tick);
  char note[SpawnJournal::kNoteSize];
  SpawnJournal::Entry entry;
  entry.pid = pid;
  entry.start_time = ctx->start_time;
  entry.attempt = ctx->attempt;
  entry.seq = ctx->seq;
  SpawnJournal::FormatNote(note, ctx->task_id, entry);
  if (::write(ctx->note_fd, note, sizeof note) != static_cast<ssize_t>(sizeof note)) {
    ctx->note_errno = errno != 0 ? errno : EIO;
    ::_exit(kNotStartedExitStatus);
  }
  // Noted: a restarted daemon finds it. Until the exec gives it its
  // program's name, it shows that it has not run anything yet, so that a
  // restarted daemon kills it and runs the task again rather than count an
  // attempt for a child that may yet find its daemon gone and exit unrun.
  ::prctl(PR_SET_NAME, kStartingComm, 0, 0, 0);
  // A daemon killed before the note was written could have been restarted
  // without seeing it: a child whose daemon is gone runs nothing.
  if (::getppid() != ctx->daemon_pid) ::_exit(kNotStartedExitStatus);
  ExecOrExit(*ctx->image);
}

// A child's stack, for as long as it shares the daemon's memory. One per
// thread, kept between children (a child is done with it once its parent
// thread resumes) and grown when a child needs more.
class ChildStack {
 public:
  ChildStack() = default;
  ~ChildStack() { Unmap(); }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;

  // The top of a stack of at least `size` bytes; nullptr if none could be
  // mapped. Below it lies a guard page: a child that overflows its stack
  // dies of SIGSEGV instead of writing over the daemon's memory.
  void* TopOfAtLeast(size_t size) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size = (size + page - 1) / page * page + page;
    if (size > size_) {
      Unmap();
      void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) return nullptr;
      if (::mprotect(p, page, PROT_NONE) != 0) {
        ::munmap(p, size);
        return nullptr;
      }
      base_ = p;
      size_ = size;
    }
    return static_cast<char*>(base_) + size_;
  }

 private:
  void Unmap() {
    if (base_ != nullptr) ::munmap(base_, size_);
    base_ = nullptr;
    size_ = 0;
  }
  void* base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

Result<SpawnedChild> SpawnChild(const Task& task, const std::vector<std::string>& argv,
                                const ChildLaunch& launch, int note_fd) {
  if (argv.empty()) return Status::InvalidArgument("SpawnChild needs a program to run");
  DevNull();  // opened here, not in the child
  const ExecImage image = BuildExecImage(task, argv, launch);
  // execvpe() builds each candidate path (a PATH entry and the program's
  // name) on the stack, and runs a script without a #! line through
  // /bin/sh with a copy of argv's pointers there: room for both on top of a
  // generous base.
  const char* path_env = ::getenv("PATH");
  const size_t stack_size = 256 * 1024 + (image.argv.size() + 2) * sizeof(char*) +
                            std::strlen(image.argv[0]) + (path_env ? std::strlen(path_env) : 0);
  thread_local ChildStack stack;
  void* const stack_top = stack.TopOfAtLeast(stack_size);
  if (stack_top == nullptr) {
    return Status::IOError(std::string("mmap failed: ") + std::strerror(errno));
  }
  static const int64_t ticks_per_second = ::sysconf(_SC_CLK_TCK);
  SpawnContext ctx{};
  ctx.image = &image;
  ctx.output_fd = launch.output_fd;
  ctx.note_fd = note_fd;
  ctx.task_id = task.id;
  ctx.attempt = task.attempts_made;
  ctx.seq = task.seq;
  ctx.daemon_pid = ::getpid();
  ctx.ns_per_tick = ticks_per_second > 0 ? 1000000000 / ticks_per_second : 0;

  // No signal handler may run in the child while it shares our memory:
  // everything is blocked until it has exec'd (it sets its own mask).
  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  ctx.ticks_before_clone = BootTicksNow(ctx.ns_per_tick);
  const int pid = ::clone(SpawnedChildMain, stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, &ctx);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) return Status::IOError(std::string("clone failed: ") + std::strerror(clone_errno));
  if (ctx.note_errno != 0) {
    int ignored;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    return Status::Aborted(std::string("cannot write the spawn journal: ") +
                           std::strerror(ctx.note_errno));
  }
  return SpawnedChild{static_cast<pid_t>(pid), ctx.start_time};
}

Result<PendingChild> ForkChild(const Task& task, const ChildProcessor& processor,
                               const std::vector<std::string>& argv, const ChildLaunch& launch) {
  DevNull();  // opened here, not in the child
  int go_pipe[2];
  if (::pipe2(go_pipe, O_CLOEXEC) != 0) {
    return Status::IOError(std::string("pipe2 failed: ") + std::strerror(errno));
  }
  UniqueFd go_read(go_pipe[0]), go_write(go_pipe[1]);
  const ExecImage image = BuildExecImage(task, argv, launch);

  char comm[17] = {0};
  ::prctl(PR_GET_NAME, comm, 0, 0, 0);

  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // The write end must not stay open here, or a dead daemon would leave
    // this child waiting for ever instead of reading end-of-file.
    go_write.Reset();
    ::prctl(PR_SET_NAME, kUnreleasedComm, 0, 0, 0);
    SetUpChild(launch.output_fd);
    char go = 0;
    ssize_t n;
    do {
      n = ::read(go_read.get(), &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(kNotStartedExitStatus);
    ::prctl(PR_SET_NAME, comm, 0, 0, 0);
    if (!argv.empty()) ExecOrExit(image);
    environ = const_cast<char**>(image.envp.data());
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
