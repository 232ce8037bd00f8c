// What the kernel says about a process: its start time (so a reused pid is
// not mistaken for the process that once had it) and the boot it belongs to.
// Internal header.
//
// Thread-safety: stateless functions.
#ifndef TASKQUEUE_SRC_PROCESS_INFO_H_
#define TASKQUEUE_SRC_PROCESS_INFO_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace taskqueue {

// Field 22 of /proc/PID/stat (clock ticks since boot), or 0 if the process
// does not exist.
int64_t ProcessStartTime(pid_t pid);
// True when `pid` has exited but was not reaped yet (state Z or X in
// /proc/PID/stat). False if it runs, or if there is no such process.
bool IsZombie(pid_t pid);
// /proc/sys/kernel/random/boot_id, read once.
const std::string& BootId();
// True when `pid` is alive and is the same process (same start time and
// boot) as recorded.
bool IsSameProcessAlive(pid_t pid, int64_t start_time, const std::string& boot_id);

}  // namespace taskqueue

#endif  // TASKQUEUE_SRC_PROCESS_INFO_H_
