#include "daemon_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/interprocess/exceptions.hpp>
#include <cerrno>
#include <cstring>

namespace taskqueue::daemon {
namespace {

std::optional<pid_t> HolderOf(int fd) {
  struct flock query;
  std::memset(&query, 0, sizeof query);
  query.l_type = F_WRLCK;
  query.l_whence = SEEK_SET;
  if (::fcntl(fd, F_GETLK, &query) != 0 || query.l_type == F_UNLCK) return std::nullopt;
  return query.l_pid;
}

}  // namespace

std::filesystem::path DaemonLock::LockPath(const std::filesystem::path& state_dir,
                                           const std::string& name) {
  return state_dir / (name + ".daemon.lock");
}

std::optional<pid_t> DaemonLock::Holder(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  // Safe to close afterwards: this process holds no lock on the file (a
  // daemon never asks about its own lock).
  return HolderOf(fd.get());
}

Result<std::unique_ptr<DaemonLock>> DaemonLock::Acquire(const std::filesystem::path& path) {
  // Our descriptor creates the file (file_lock needs it to exist) and is
  // kept open as long as the lock: closing it would drop the lock.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return Status::IOError("Cannot open lock file '" + path.string() +
                           "': " + std::strerror(errno));
  }
  boost::interprocess::file_lock lock;
  bool acquired = false;
  try {
    lock = boost::interprocess::file_lock(path.c_str());
    acquired = lock.try_lock();
  } catch (const boost::interprocess::interprocess_exception& e) {
    return Status::IOError("Cannot lock '" + path.string() + "': " + e.what());
  }
  if (!acquired) {
    std::optional<pid_t> holder = HolderOf(fd.get());
    return Status::Busy("another taskqueued (pid " +
                        (holder ? std::to_string(*holder) : std::string("unknown")) +
                        ") is already running for this queue; lock file '" + path.string() + "'");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return Status::IOError("Cannot write pid to lock file '" + path.string() +
                           "': " + std::strerror(errno));
  }
  return std::unique_ptr<DaemonLock>(new DaemonLock(std::move(fd), std::move(lock)));
}

DaemonLock::~DaemonLock() {
  // Still locked here: nobody else can be writing the file.
  if (fd_.valid()) (void)!::ftruncate(fd_.get(), 0);
  try {
    lock_.unlock();
  } catch (...) {
    // Closing the descriptors below releases it anyway.
  }
}

}  // namespace taskqueue::daemon
