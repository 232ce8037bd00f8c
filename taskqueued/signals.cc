#include "signals.h"

#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <cstring>

namespace taskqueue::daemon {
namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGCHLD);
  return set;
}

}  // namespace

Result<std::unique_ptr<SignalChannel>> SignalChannel::Create() {
  // A write to a closed pipe or socket (the HTTP server, a vanished
  // NOTIFY_SOCKET reader) must be an EPIPE error, not the end of the daemon.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t set = HandledSignals();
  if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
    return Status::IOError("Cannot block signals");
  }
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Status::IOError(std::string("signalfd failed: ") + std::strerror(errno));
  return std::unique_ptr<SignalChannel>(new SignalChannel(UniqueFd(fd)));
}

SignalChannel::~SignalChannel() {
  sigset_t set = HandledSignals();
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

std::vector<int> SignalChannel::ReadPending() {
  std::vector<int> out;
  signalfd_siginfo info[16];
  for (;;) {
    ssize_t n = ::read(fd_.get(), info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(signalfd_siginfo); ++i) {
      out.push_back(static_cast<int>(info[i].ssi_signo));
    }
  }
  return out;
}

void SignalChannel::ResetForChild() {
  // Every signal with a handler or ignored goes back to its default: a task
  // starts as from a shell, and no handler of the daemon's (or of a plugin
  // it loaded) may run in a child that still shares the daemon's memory.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction current;
    if (::sigaction(sig, nullptr, &current) != 0) continue;  // reserved by libc
    if ((current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL) continue;
    ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace taskqueue::daemon
