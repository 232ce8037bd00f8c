#include "process_info.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace taskqueue::daemon {
namespace {

// Reads a small /proc file in one go (std::ifstream is needlessly slow here:
// this runs once per spawned child).
std::string ReadSmallFile(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// The uapi of <linux/pidfd.h> from Linux 6.15, which Debian 12's headers
// predate. Only the first 64 bytes (PIDFD_INFO_SIZE_VER0) are used.
struct PidfdInfo {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
static_assert(sizeof(PidfdInfo) == 64, "PIDFD_INFO_SIZE_VER0");
constexpr uint64_t kPidfdInfoExit = 1u << 3;
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);

}  // namespace

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const std::string line = ReadSmallFile(path);
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from after the last ')'.
  auto open = line.find('(');
  auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 2 >= line.size()) {
    return std::nullopt;
  }
  std::vector<std::string_view> fields;  // fields[0] is field 3
  std::string_view rest(line);
  rest.remove_prefix(close + 2);
  while (!rest.empty()) {
    auto sp = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  auto field = [&](int n) -> std::optional<long long> {
    size_t i = static_cast<size_t>(n - 3);
    if (i >= fields.size()) return std::nullopt;
    std::string s(fields[i]);
    char* end = nullptr;
    long long v = strtoll(s.c_str(), &end, 10);
    if (end == s.c_str()) return std::nullopt;
    return v;
  };
  ProcStat st;
  if (fields.empty() || fields[0].empty()) return std::nullopt;
  st.comm = line.substr(open + 1, close - open - 1);
  st.state = fields[0][0];
  st.pgrp = static_cast<pid_t>(field(5).value_or(0));
  st.start_time = field(22).value_or(0);
  if (auto code = field(52)) st.exit_code = static_cast<int>(*code);
  return st;
}

int64_t ProcessStartTime(pid_t pid) {
  auto st = ReadProcStat(pid);
  return st ? st->start_time : 0;
}

const std::string& BootId() {
  static const std::string id = [] {
    std::string s = ReadSmallFile("/proc/sys/kernel/random/boot_id");
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }();
  return id;
}

bool IsSameProcess(pid_t pid, int64_t start_time, const std::string& boot_id) {
  if (pid <= 0 || start_time <= 0 || boot_id != BootId()) return false;
  return ProcessStartTime(pid) == start_time;
}

UniqueFd PidfdOpen(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return UniqueFd(fd);
}

std::optional<int> ExitStatusOfNonChild(int pidfd, pid_t pid, int64_t start_time) {
  PidfdInfo info;
  std::memset(&info, 0, sizeof info);
  info.mask = kPidfdInfoExit;
  if (::ioctl(pidfd, kPidfdGetInfo, &info) == 0 && (info.mask & kPidfdInfoExit) != 0) {
    return info.exit_code;
  }
  // Not reaped yet (or an older kernel): a zombie still shows its status.
  auto st = ReadProcStat(pid);
  if (st && st->state == 'Z' && st->start_time == start_time && st->exit_code) {
    return *st->exit_code;
  }
  return std::nullopt;
}

}  // namespace taskqueue::daemon
