// Library benchmark: the Perl original's own benchmark, on our store.
//
// For each N: queue N distinct "noop $i" with one QueueTask call each (the
// default dupe check on), then ProcessNextTask until the queue is empty.
// Prints tasks/s for each phase and the time per operation in the first and
// last 10% of each run, so growth with queue length shows as a ratio. Then
// the batch path: QueueTasks of 1,000 per call.
//
// Usage: library_bench [--sizes 1000,10000,100000] [--durability full|normal]
//                      [--dir DIR] [--history keep|remove]
// --history remove queues every task with remove_on_complete, so processing
// keeps no history: the difference is what history costs.
// Figures and the command that produced them: docs/benchmarks.md.

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "taskqueue/queue.h"

using namespace taskqueue;
using Clock_ = std::chrono::steady_clock;

namespace {

double Seconds(Clock_::duration d) { return std::chrono::duration<double>(d).count(); }

struct PhaseStats {
  double total_s = 0;
  double first_us = 0;   // mean per op, first 10%
  double last_us = 0;    // mean per op, last 10%
  double cpu_s = 0;      // user + system CPU of the whole phase
  double write_kib = 0;  // bytes this process passed to write calls, in KiB
};

// CPU time and bytes written are steadier than wall time on a shared VM:
// they do not count time spent waiting for a core, and the bytes (WAL
// frames and checkpoints) do not depend on the machine at all.
double CpuSeconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double WrittenKib() {
  std::ifstream io("/proc/self/io");
  std::string key;
  double value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value / 1024;
  }
  return 0;
}

template <typename Op>
PhaseStats TimeOps(int64_t n, Op op) {
  std::vector<double> per_op;
  per_op.reserve(static_cast<size_t>(n));
  const double cpu0 = CpuSeconds(), kib0 = WrittenKib();
  auto start = Clock_::now();
  for (int64_t i = 0; i < n; ++i) {
    auto t0 = Clock_::now();
    op(i);
    per_op.push_back(Seconds(Clock_::now() - t0) * 1e6);
  }
  PhaseStats s;
  s.total_s = Seconds(Clock_::now() - start);
  s.cpu_s = CpuSeconds() - cpu0;
  s.write_kib = WrittenKib() - kib0;
  const size_t tenth = std::max<size_t>(1, per_op.size() / 10);
  for (size_t i = 0; i < tenth; ++i) {
    s.first_us += per_op[i];
    s.last_us += per_op[per_op.size() - 1 - i];
  }
  s.first_us /= tenth;
  s.last_us /= tenth;
  return s;
}

void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

std::vector<int64_t> ParseSizes(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoll(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes = {1000, 10000, 100000};
  Durability durability = Durability::kFull;
  std::filesystem::path base = std::filesystem::temp_directory_path();
  TaskOptions task_options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--sizes") sizes = ParseSizes(value);
    else if (flag == "--durability") durability = value == "normal" ? Durability::kNormal : Durability::kFull;
    else if (flag == "--dir") base = value;
    else if (flag == "--history") task_options.remove_on_complete = value == "remove";
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  struct utsname u;
  uname(&u);
  std::printf("machine: %s %s, %u hardware threads; durability=%s; history=%s; dir=%s\n",
              u.sysname, u.release, std::thread::hardware_concurrency(),
              durability == Durability::kFull ? "full" : "normal",
              task_options.remove_on_complete ? "remove" : "keep", base.c_str());
  std::printf("%-8s %-10s %9s %9s %14s %14s %6s %10s %10s\n", "N", "phase", "seconds",
              "tasks/s", "first10% us/op", "last10% us/op", "ratio", "cpu us/op", "KiB/op");

  for (int64_t n : sizes) {
    std::string tmpl = (base / "tq-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) Die(Status::IOError("mkdtemp"), "dir");
    QueueOptions o;
    o.state_dir = tmpl;
    o.durability = durability;
    auto q = Queue::Open(o);
    if (!q.ok()) Die(q.status(), "open");
    auto enqueue = TimeOps(n, [&](int64_t i) {
      auto r = (*q)->QueueTask("noop " + std::to_string(i), task_options);
      if (!r.ok()) Die(r.status(), "queue");
    });
    auto process = TimeOps(n, [&](int64_t) {
      auto r = (*q)->ProcessNextTask();
      if (!r.ok()) Die(r.status(), "process");
    });
    auto c = (*q)->Counts();
    const int64_t kept = task_options.remove_on_complete ? 0 : n;
    if (!c.ok() || c->waiting != 0 || c->complete != kept) {
      std::fprintf(stderr, "unexpected counts after processing\n");
      return 1;
    }
    for (auto [name, s] : {std::pair{"queue", enqueue}, std::pair{"process", process}}) {
      std::printf("%-8lld %-10s %9.2f %9.0f %14.1f %14.1f %6.2f %10.1f %10.1f\n",
                  static_cast<long long>(n), name, s.total_s, n / s.total_s, s.first_us, s.last_us,
                  s.last_us / s.first_us, s.cpu_s * 1e6 / n, s.write_kib / n);
    }
    // Batch path: QueueTasks of 1,000 per call into the same (now history-full) queue.
    const int64_t batches = std::max<int64_t>(1, n / 1000);
    auto batch = TimeOps(batches, [&](int64_t b) {
      std::vector<std::string> cmds;
      for (int64_t i = 0; i < 1000; ++i) cmds.push_back("noop b" + std::to_string(b * 1000 + i));
      auto r = (*q)->QueueTasks(cmds);
      if (!r.ok()) Die(r.status(), "queue_tasks");
    });
    const double batched = static_cast<double>(batches * 1000);
    std::printf("%-8lld %-10s %9.2f %9.0f %14.1f %14.1f %6.2f %10.1f %10.1f\n",
                static_cast<long long>(batches * 1000), "batch1000", batch.total_s,
                batched / batch.total_s, batch.first_us / 1000, batch.last_us / 1000,
                batch.last_us / batch.first_us, batch.cpu_s * 1e6 / batched,
                batch.write_kib / batched);
    q->reset();
    std::filesystem::remove_all(tmpl);
  }
  return 0;
}
