// One phase of library_bench on its own, in a process of its own, so that a
// tool measuring the whole process (perf stat) measures just that phase:
//   queue:   QueueTask("noop $i") for i < N, one call each (dupe check on);
//   process: ProcessNextTask() N times.
// Prints tasks/s and CPU time per operation. bench/instructions.sh runs it
// under `perf stat` to count instructions per operation, the measure that
// stays steady on a shared VM where time does not.
//
// Usage: phase_bench --dir DIR --phase queue|process [--tasks N]
//                    [--durability full|normal]
// Figures and the command that produced them: docs/benchmarks.md, library.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "taskqueue/queue.h"

using namespace taskqueue;

namespace {

double CpuSeconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int Usage() {
  std::fprintf(stderr,
               "usage: phase_bench --dir DIR --phase queue|process [--tasks N] "
               "[--durability full|normal]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, phase;
  int64_t tasks = 5000;
  Durability durability = Durability::kNormal;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir") {
      dir = value;
    } else if (flag == "--phase") {
      phase = value;
    } else if (flag == "--tasks") {
      tasks = std::atoll(value.c_str());
    } else if (flag == "--durability") {
      durability = value == "full" ? Durability::kFull : Durability::kNormal;
    } else {
      return Usage();
    }
  }
  if (dir.empty() || (phase != "queue" && phase != "process") || tasks <= 0) return Usage();

  QueueOptions options;
  options.state_dir = dir;
  options.durability = durability;
  auto queue = Queue::Open(options);
  if (!queue.ok()) {
    std::fprintf(stderr, "phase_bench: %s\n", queue.status().ToString().c_str());
    return 1;
  }
  const double cpu0 = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < tasks; ++i) {
    Status st = phase == "queue" ? (*queue)->QueueTask("noop " + std::to_string(i)).status()
                                 : (*queue)->ProcessNextTask().status();
    if (!st.ok()) {
      std::fprintf(stderr, "phase_bench: %s %lld: %s\n", phase.c_str(),
                   static_cast<long long>(i), st.ToString().c_str());
      return 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s %lld: %.0f tasks/s, CPU %.1f us per task\n", phase.c_str(),
              static_cast<long long>(tasks), tasks / seconds,
              (CpuSeconds() - cpu0) / tasks * 1e6);
  return 0;
}
