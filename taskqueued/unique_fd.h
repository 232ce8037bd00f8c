// UniqueFd: owns one file descriptor and closes it when it goes away.
//
// Thread-safety: a plain value; distinct objects may be used from different
// threads, one object from one thread at a time.
#ifndef TASKQUEUED_UNIQUE_FD_H_
#define TASKQUEUED_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace taskqueue::daemon {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int Release() { return std::exchange(fd_, -1); }
  // Closes the descriptor held, if any.
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_UNIQUE_FD_H_
