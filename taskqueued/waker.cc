#include "waker.h"

#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace taskqueue::daemon {
namespace {

constexpr uint64_t kInotifyTag = ~uint64_t{0};
constexpr uint64_t kTimerTag = ~uint64_t{0} - 1;

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

}  // namespace

int64_t SteadyMillis() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Result<std::unique_ptr<Waker>> Waker::Create(const std::filesystem::path& state_dir,
                                             const std::string& name) {
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep.valid()) return Errno("epoll_create1");
  UniqueFd in(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!in.valid()) return Errno("inotify_init1");
  // IN_MODIFY catches every commit (frames appended to the -wal file, or
  // pages written to the main file by a checkpoint or a non-WAL writer);
  // IN_CREATE and IN_MOVED_TO catch files appearing.
  if (::inotify_add_watch(in.get(), state_dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
    return Errno("Cannot watch state directory '" + state_dir.string() + "'");
  }
  UniqueFd tm(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!tm.valid()) return Errno("timerfd_create");
  std::unique_ptr<Waker> w(new Waker(std::move(ep), std::move(in), std::move(tm), name));
  TQ_RETURN_IF_ERROR(w->Add(w->inotify_.get(), kInotifyTag));
  TQ_RETURN_IF_ERROR(w->Add(w->timer_.get(), kTimerTag));
  return w;
}

Status Waker::Add(int fd, uint64_t tag) {
  epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return Errno("epoll_ctl");
  return Status::OK();
}

void Waker::Remove(int fd) { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

unsigned Waker::DrainInotify() {
  const std::string queue_prefix = name_ + "_queue.db";
  const std::string sched_prefix = name_ + "_sched.db";
  auto matches = [](std::string_view file, const std::string& prefix) {
    // "<name>_queue.db" itself or its "-wal"/"-journal" companions; not
    // "-shm", which readers write through mmap anyway.
    if (file.substr(0, prefix.size()) != prefix) return false;
    std::string_view rest = file.substr(prefix.size());
    return rest.empty() || rest == "-wal" || rest == "-journal";
  };
  unsigned changed = 0;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if ((ev->mask & IN_Q_OVERFLOW) != 0) {
        changed |= kQueueFile | kSchedFile;  // events were lost: assume both
        continue;
      }
      if (ev->len == 0) continue;
      std::string_view file(ev->name);
      if (matches(file, queue_prefix)) changed |= kQueueFile;
      if (matches(file, sched_prefix)) changed |= kSchedFile;
    }
  }
  return changed;
}

void Waker::ArmTimer(std::optional<int64_t> deadline_ms) {
  if (armed_ == deadline_ms) return;
  itimerspec spec;
  std::memset(&spec, 0, sizeof spec);
  if (deadline_ms) {
    // An absolute time of zero would disarm the timer: the epoch plus 1 ns
    // is long past, so it fires at once.
    int64_t ms = *deadline_ms > 0 ? *deadline_ms : 0;
    spec.it_value.tv_sec = ms / 1000;
    spec.it_value.tv_nsec = (ms % 1000) * 1000000 + 1;
  }
  ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
  armed_ = deadline_ms;
}

Result<Waker::Wakeup> Waker::Wait(std::optional<int64_t> deadline_ms) {
  Wakeup out;
  if (deadline_ms && *deadline_ms <= SteadyMillis()) {
    out.deadline = true;
  } else {
    ArmTimer(deadline_ms);
  }
  epoll_event events[32];
  for (;;) {
    // With a deadline already past, only look (timeout 0) at what is ready.
    int n = ::epoll_wait(epoll_.get(), events, 32, out.deadline ? 0 : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kInotifyTag) {
        out.changed |= DrainInotify();
      } else if (tag == kTimerTag) {
        uint64_t expirations;
        (void)!::read(timer_.get(), &expirations, sizeof expirations);
        armed_.reset();
        if (deadline_ms && *deadline_ms <= SteadyMillis()) out.deadline = true;
      } else {
        out.tags.push_back(tag);
      }
    }
    // Writes to files we do not watch (output, lock) end no wait.
    if (out.changed != 0 || out.deadline || !out.tags.empty()) return out;
  }
}

}  // namespace taskqueue::daemon
