// What the kernel says about a process: whether a recorded pid still names
// the same process (start time, /proc/PID/stat field 22, and boot id), and,
// for a process that is not our child, how it ended (pidfd exit info on
// Linux 6.15+, or the exit code of a zombie in /proc/PID/stat field 52).
//
// Thread-safety: stateless functions, safe from any thread.
#ifndef TASKQUEUED_PROCESS_INFO_H_
#define TASKQUEUED_PROCESS_INFO_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "unique_fd.h"

namespace taskqueue::daemon {

// The fields of /proc/PID/stat the daemon uses.
struct ProcStat {
  std::string comm;              // field 2, without its parentheses
  char state = '?';              // field 3: R, S, D, Z (zombie), ...
  pid_t pgrp = 0;                // field 5
  int64_t start_time = 0;        // field 22, clock ticks since boot
  std::optional<int> exit_code;  // field 52 (a wait status), when present
};

// Reads /proc/PID/stat; nullopt if there is no such process.
std::optional<ProcStat> ReadProcStat(pid_t pid);

// Field 22 of /proc/PID/stat, or 0 if the process does not exist.
int64_t ProcessStartTime(pid_t pid);

// /proc/sys/kernel/random/boot_id, read once per process.
const std::string& BootId();

// True when `pid` exists (possibly as a zombie) and is the process recorded
// with `start_time` during boot `boot_id`, not a later one reusing its pid.
bool IsSameProcess(pid_t pid, int64_t start_time, const std::string& boot_id);

// pidfd_open(2) with close-on-exec; an invalid fd (errno set) on failure.
UniqueFd PidfdOpen(pid_t pid);

// How a process that is not our child ended, as a wait(2) status, once its
// pidfd is readable: from PIDFD_GET_INFO (needs Linux 6.15 and that the
// process was reaped) or, while it is still a zombie, from /proc/PID/stat.
// nullopt when neither can tell (yet).
std::optional<int> ExitStatusOfNonChild(int pidfd, pid_t pid, int64_t start_time);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_PROCESS_INFO_H_
