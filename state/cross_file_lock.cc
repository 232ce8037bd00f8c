#include "state/cross_file_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/sync/file_lock.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace taskqueue::state {
namespace {

struct ProcessLock {
  std::timed_mutex in_process;
  boost::interprocess::file_lock file;
};

// One entry per lock file for the life of the process (see the header).
std::mutex registry_mu;
std::map<std::string, std::unique_ptr<ProcessLock>>& Registry() {
  static auto* registry = new std::map<std::string, std::unique_ptr<ProcessLock>>();
  return *registry;
}

Result<ProcessLock*> LockFor(const std::filesystem::path& path) {
  std::lock_guard<std::mutex> guard(registry_mu);
  auto& registry = Registry();
  auto it = registry.find(path.string());
  if (it != registry.end()) return it->second.get();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IOError("Cannot open lock file '" + path.string() +
                           "': " + std::strerror(errno));
  }
  ::close(fd);
  auto lock = std::make_unique<ProcessLock>();
  try {
    lock->file = boost::interprocess::file_lock(path.c_str());
  } catch (const boost::interprocess::interprocess_exception& e) {
    return Status::IOError("Cannot use lock file '" + path.string() + "': " + e.what());
  }
  ProcessLock* raw = lock.get();
  registry.emplace(path.string(), std::move(lock));
  return raw;
}

}  // namespace

Status WithFileLock(const std::filesystem::path& lock_path, std::chrono::milliseconds timeout,
                    const std::function<Status()>& fn) {
  auto lock = LockFor(lock_path);
  if (!lock.ok()) return lock.status();
  ProcessLock* pl = *lock;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!pl->in_process.try_lock_until(deadline)) {
    return Status::Busy("Timed out waiting for lock '" + lock_path.string() + "'");
  }
  std::unique_lock<std::timed_mutex> in_process(pl->in_process, std::adopt_lock);
  try {
    auto pause = std::chrono::microseconds(200);
    while (!pl->file.try_lock()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::Busy("Timed out waiting for lock '" + lock_path.string() + "'");
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(20000));
    }
  } catch (const boost::interprocess::interprocess_exception& e) {
    return Status::IOError("Cannot lock '" + lock_path.string() + "': " + e.what());
  }
  Status result;
  try {
    result = fn();
  } catch (...) {
    pl->file.unlock();
    throw;
  }
  pl->file.unlock();
  return result;
}

}  // namespace taskqueue::state
