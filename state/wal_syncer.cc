#include "state/wal_syncer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskqueue::state {

WalSyncer::WalSyncer(std::filesystem::path wal_path, SyncFn sync,
                     std::chrono::milliseconds min_interval)
    : wal_path_(std::move(wal_path)),
      sync_(sync ? std::move(sync)
                 : SyncFn([](int fd) { return ::fdatasync(fd) == 0 ? 0 : errno; })),
      min_interval_(min_interval),
      thread_([this] { Loop(); }) {}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void WalSyncer::Request() {
  bool idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requested_;
    idle = idle_;
  }
  // A busy thread (syncing, or waiting out the interval) sees this request
  // before it next waits; waking it would only cost both threads a switch,
  // and the daemon requests once per commit.
  if (idle) wake_.notify_one();
}

Status WalSyncer::WaitSynced() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = requested_;
  synced_.wait(lock, [&] { return synced_upto_ >= target; });
  return error_;
}

Status WalSyncer::TakeError() {
  std::lock_guard<std::mutex> lock(mu_);
  Status error = error_;
  error_ = Status::OK();
  return error;
}

void WalSyncer::Loop() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_start = Clock::now() - min_interval_;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    idle_ = true;
    wake_.wait(lock, [&] { return stop_ || requested_ > synced_upto_; });
    idle_ = false;
    if (requested_ == synced_upto_) return;  // stopping, nothing left
    // Too soon after the last sync: let the commits of the rest of the
    // interval gather for this one (a stop cuts the wait short).
    wake_.wait_until(lock, last_start + min_interval_, [&] { return stop_; });
    // Every commit requested by now has its frames in the file: one sync
    // covers them all, and the requests made while it runs wait for the next.
    const uint64_t target = requested_;
    last_start = Clock::now();
    lock.unlock();
    Status status = SyncOnce();
    lock.lock();
    if (!status.ok() && error_.ok()) error_ = status;
    synced_upto_ = target;
    synced_.notify_all();
  }
}

Status WalSyncer::SyncOnce() {
  // The WAL file is replaced only after every connection closed it (the
  // last one checkpoints it into the database, synced, and deletes it), so
  // the open file is almost always still the WAL; a new one is opened when
  // the name points elsewhere.
  struct stat named;
  if (::stat(wal_path_.c_str(), &named) != 0) {
    if (errno == ENOENT) return Status::OK();  // checkpointed and deleted: on disk
    return Status::IOError("cannot find " + wal_path_.string() +
                           " to sync it: " + std::strerror(errno));
  }
  struct stat held;
  if (fd_ >= 0 &&
      (::fstat(fd_, &held) != 0 || held.st_ino != named.st_ino || held.st_dev != named.st_dev)) {
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0) {
    // Read-only is enough to sync. SQLite holds no POSIX lock on a WAL file
    // (its locks are on the database and -shm files), so closing this
    // descriptor later cannot release one of SQLite's.
    fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT) return Status::OK();
      return Status::IOError("cannot open " + wal_path_.string() +
                             " to sync it: " + std::strerror(errno));
    }
  }
  const int error = sync_(fd_);
  if (error != 0) {
    return Status::IOError("writing " + wal_path_.string() +
                           " to disk failed: " + std::strerror(error));
  }
  return Status::OK();
}

}  // namespace taskqueue::state
