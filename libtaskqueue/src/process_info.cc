#include "process_info.h"

#include <fstream>
#include <sstream>

namespace taskqueue {

namespace {

// /proc/PID/stat from field 3 (the state) on, or "" if unreadable. The
// command name (field 2) may hold spaces and parentheses: the fields after
// it start two characters past its last ')'.
std::string StatAfterCommand(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return "";
  return line.substr(close + 2);
}

}  // namespace

bool IsZombie(pid_t pid) {
  const std::string rest = StatAfterCommand(pid);
  return !rest.empty() && (rest[0] == 'Z' || rest[0] == 'X');
}

int64_t ProcessStartTime(pid_t pid) {
  const std::string after = StatAfterCommand(pid);
  if (after.empty()) return 0;
  std::istringstream rest(after);
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return 0;
  }
  try {
    return std::stoll(field);
  } catch (...) {
    return 0;
  }
}

const std::string& BootId() {
  static const std::string id = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string s;
    std::getline(in, s);
    return s;
  }();
  return id;
}

bool IsSameProcessAlive(pid_t pid, int64_t start_time, const std::string& boot_id) {
  if (pid <= 0 || boot_id != BootId()) return false;
  int64_t now = ProcessStartTime(pid);
  return now != 0 && now == start_time;
}

}  // namespace taskqueue
