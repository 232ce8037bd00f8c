#include "process_info.h"

#include <fstream>
#include <sstream>

namespace taskqueue {

int64_t ProcessStartTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return 0;
  // The command name (field 2) may hold spaces and parentheses: skip to the
  // last ')' and count fields from there (field 3 follows it).
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
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
