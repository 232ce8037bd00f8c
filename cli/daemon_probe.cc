#include "daemon_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace taskqueue::cli {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

bool IsTaskqueued(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  return comm && std::getline(comm, name) && name == "taskqueued";
}

std::optional<pid_t> PidInFile(int fd) {
  char buf[64];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  char* end = nullptr;
  long pid = strtol(buf, &end, 10);
  if (end == buf || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace

std::filesystem::path DaemonLockPath(const std::filesystem::path& state_dir,
                                     const std::string& name) {
  return state_dir / (name + ".daemon.lock");
}

std::optional<pid_t> FindDaemonPid(const std::filesystem::path& state_dir,
                                   const std::string& name) {
  Fd fd(open(DaemonLockPath(state_dir, name).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  if (fcntl(fd.get(), F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK && lock.l_pid > 0) {
    return lock.l_pid;
  }
  // No fcntl holder we can name (the daemon may lock with flock, or with an
  // open file description lock): trust the pid only if it is a live
  // taskqueued.
  auto pid = PidInFile(fd.get());
  if (pid && Alive(*pid) && IsTaskqueued(*pid)) return pid;
  return std::nullopt;
}

}  // namespace taskqueue::cli
