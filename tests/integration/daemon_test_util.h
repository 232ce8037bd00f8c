// Helpers for the daemon's integration tests: start the real taskqueued
// (TASKQUEUED_PATH) on a queue in a temporary directory, know when it is
// ready (it sends READY=1 to a NOTIFY_SOCKET the test listens on), stop it
// by pid and wait for its exit (through a pidfd, no sleeping); write JSON
// plugin files (SPEC §4.1); open the same queue through the library; and
// read the records that test tasks append to a file.
//
// Thread-safety: each object from one thread.
#ifndef TASKQUEUE_TESTS_INTEGRATION_DAEMON_TEST_UTIL_H_
#define TASKQUEUE_TESTS_INTEGRATION_DAEMON_TEST_UTIL_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fakes/test_util.h"
#include "taskqueue/plugin.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

extern char** environ;

namespace taskqueue::testing {

inline int64_t MonoMillis() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

inline int64_t WallNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Polls `done` every few milliseconds until it holds or `timeout` passes.
inline bool WaitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const int64_t deadline = MonoMillis() + timeout.count();
  for (;;) {
    if (done()) return true;
    if (MonoMillis() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// A directory of plugin files, mode 0755, owned by the test's user.
class PluginDir {
 public:
  explicit PluginDir(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
  }
  // Writes <name>.json holding {"processors": [processors...]}.
  void Write(const std::string& name, const std::vector<nlohmann::json>& processors) {
    auto file = dir_ / (name + ".json");
    nlohmann::json doc = nlohmann::json::object();
    doc["processors"] = processors;
    std::ofstream(file) << doc.dump(2);
    ::chmod(file.c_str(), 0644);
  }
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// Field 22 of /proc/PID/stat (the start time), or 0 if there is no such
// process.
inline int64_t ProcessStartTime(pid_t pid) {
  std::istringstream fields(StatAfterCommand(pid));
  std::string field;
  for (int n = 3; n <= 22 && fields >> field; ++n) {
    if (n == 22) return std::atoll(field.c_str());
  }
  return 0;
}

// Kills (SIGKILL, whole process group) every task child a daemon left
// running on queue `name` in `state_dir`: those recorded in the queue file
// and those only its spawn journal knows. A test that fails before letting
// its children finish kills its daemon, not them; without this they would
// outlive the test (some loop until a file appears).
inline void KillTasksLeftRunning(const std::filesystem::path& state_dir,
                                 const std::string& name = "tasks") {
  std::vector<std::pair<pid_t, int64_t>> children;
  if (std::filesystem::exists(state_dir / (name + "_queue.db"))) {
    QueueOptions options;
    options.state_dir = state_dir;
    options.name = name;
    options.registry = std::make_shared<ProcessorRegistry>();
    auto queue = Queue::Open(options);
    if (queue.ok()) {
      auto running = (*queue)->TasksInState(TaskState::kProcessing);
      if (running.ok()) {
        for (const auto& t : *running) {
          if (t.pid > 0) children.emplace_back(static_cast<pid_t>(t.pid), t.pid_start_time);
        }
      }
    }
  }
  std::ifstream journal(state_dir / (name + ".daemon.spawns"));
  std::string boot_line;
  std::getline(journal, boot_line);
  // Notes: "<id> <attempt> <seq> <pid> <start time>", padded.
  int64_t id = 0, attempt = 0, seq = 0, pid = 0, start_time = 0;
  while (journal >> id >> attempt >> seq >> pid >> start_time) {
    children.emplace_back(static_cast<pid_t>(pid), start_time);
  }
  for (const auto& [child, start_time] : children) {
    // The start time tells the child from a later process given its pid.
    if (child > 1 && start_time > 0 && ProcessStartTime(child) == start_time) {
      ::kill(-child, SIGKILL);
    }
  }
}

// A processor running `script` with /bin/sh -c; the task's args are $1...
// Braces in the script must be doubled ({{ }}), as in every exec template.
inline nlohmann::json ShellProcessor(const std::string& command, const std::string& script,
                                     nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json p = {{"command", command}, {"exec", {"/bin/sh", "-c", script, "sh", "{args}"}}};
  for (auto& [k, v] : extra.items()) p[k] = v;
  return p;
}

// The real daemon, started on a queue; killed (SIGKILL) on destruction if
// still running.
class DaemonProcess {
 public:
  DaemonProcess() = default;
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;
  ~DaemonProcess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      WaitExit(std::chrono::seconds(10));
    }
    if (notify_fd_ >= 0) ::close(notify_fd_);
    if (pidfd_ >= 0) ::close(pidfd_);
  }

  // Starts `TASKQUEUED_PATH args...` with stderr (and stdout) appended to
  // `log_file`. Returns false if it could not be spawned.
  bool Start(const std::vector<std::string>& args, const std::filesystem::path& log_file,
             const std::filesystem::path& notify_socket,
             const std::vector<std::string>& extra_env = {}) {
    log_file_ = log_file;
    notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::filesystem::remove(notify_socket);
    std::strncpy(addr.sun_path, notify_socket.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;

    std::vector<std::string> argv_s = {TASKQUEUED_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
      std::string entry = *e;
      if (entry.rfind("NOTIFY_SOCKET=", 0) == 0 || entry.rfind("TASKQUEUE_", 0) == 0 ||
          entry.rfind("JOURNAL_STREAM=", 0) == 0 || entry.rfind("WATCHDOG_", 0) == 0) {
        continue;
      }
      env_s.push_back(entry);
    }
    env_s.push_back("NOTIFY_SOCKET=" + notify_socket.string());
    env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (auto& s : env_s) envp.push_back(s.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    exited_ = false;
    return pidfd_ >= 0;
  }

  // Waits for READY=1 (false if the daemon exited or the time ran out).
  bool WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return WaitMessage("READY=1", timeout);
  }

  // Waits for the next notification containing `what` (false if the
  // daemon exited or the time ran out).
  bool WaitMessage(const std::string& what,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const int64_t deadline = MonoMillis() + timeout.count();
    for (;;) {
      int64_t left = deadline - MonoMillis();
      if (left <= 0) return false;
      pollfd fds[2] = {{notify_fd_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
      if (::poll(fds, 2, static_cast<int>(left)) < 0) continue;
      if (fds[0].revents & POLLIN) {
        char buf[512];
        ssize_t n = ::recv(notify_fd_, buf, sizeof buf - 1, 0);
        if (n > 0) {
          std::string msg(buf, static_cast<size_t>(n));
          messages_.push_back(msg);
          if (msg.find(what) != std::string::npos) return true;
        }
      } else if (fds[1].revents & POLLIN) {
        return false;  // exited
      }
    }
  }

  // Waits for the daemon to exit; its wait status, or nullopt on timeout.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout) {
    if (exited_) return status_;
    pollfd fd = {pidfd_, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    exited_ = true;
    status_ = status;
    return status;
  }

  void Signal(int sig) { ::kill(pid_, sig); }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exited_; }
  std::string Log() const {
    std::ifstream in(log_file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = 0;
  int pidfd_ = -1;
  int notify_fd_ = -1;
  bool exited_ = false;
  int status_ = 0;
  std::filesystem::path log_file_;
  std::vector<std::string> messages_;
};

// One line a test task appended to the records file:
// "<event> <task uuid> <wall ns>" (event: start or end).
struct Record {
  std::string event;
  std::string task;
  int64_t nanos = 0;
};

inline std::vector<Record> ReadRecords(const std::filesystem::path& file) {
  std::vector<Record> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    Record r;
    if (ss >> r.event >> r.task >> r.nanos) out.push_back(r);
  }
  return out;
}

// Shell to append a record: `record start` / `record end`.
inline std::string RecordCommand(const std::filesystem::path& file, const std::string& event) {
  return "echo " + event + " $TASKQUEUE_TASK_ID $(date +%s%N) >> " + file.string();
}

// The most intervals [start, end] open at once. A task's start without an
// end (still running or killed) counts as open until `open_until`.
inline int MaxOverlap(const std::vector<Record>& records, int64_t open_until,
                      const std::function<std::string(const std::string&)>& group = nullptr,
                      std::string* worst_group = nullptr) {
  std::map<std::string, std::vector<std::pair<int64_t, int>>> edges;
  std::map<std::string, int> open;  // task -> unmatched starts
  for (const auto& r : records) {
    std::string g = group ? group(r.task) : "";
    if (r.event == "start") {
      edges[g].push_back({r.nanos, +1});
      ++open[r.task];
    } else if (r.event == "end") {
      edges[g].push_back({r.nanos, -1});
      --open[r.task];
    }
  }
  for (const auto& [task, n] : open) {
    std::string g = group ? group(task) : "";
    for (int i = 0; i < n; ++i) edges[g].push_back({open_until, -1});
  }
  int worst = 0;
  for (auto& [g, e] : edges) {
    // Ends sort before starts at the same instant: touching is not overlap.
    std::sort(e.begin(), e.end());
    int cur = 0;
    for (const auto& [t, d] : e) {
      cur += d;
      if (cur > worst) {
        worst = cur;
        if (worst_group) *worst_group = g;
      }
    }
  }
  return worst;
}

// Starts taskqueued with `args` (its log and notify socket in `dir`, named
// after `n`, the how-manieth daemon of the test) and waits for its READY=1.
// Null, and a test failure naming why, if it did not get ready.
inline std::unique_ptr<DaemonProcess> StartReadyDaemon(const std::vector<std::string>& args,
                                                       const std::filesystem::path& dir, int n,
                                                       const std::vector<std::string>& env = {}) {
  auto d = std::make_unique<DaemonProcess>();
  const auto suffix = std::to_string(n);
  if (!d->Start(args, dir / ("daemon" + suffix + ".log"), dir / ("notify" + suffix), env)) {
    ADD_FAILURE() << "cannot spawn " << TASKQUEUED_PATH;
    return nullptr;
  }
  if (!d->WaitReady()) {
    ADD_FAILURE() << "taskqueued not ready; its log:\n" << d->Log();
    return nullptr;
  }
  return d;
}

// A queue in a temporary directory, with a plugin directory, a records file
// and helpers to run the daemon on it.
class DaemonFixture {
 public:
  DaemonFixture()
      : state_(dir_.path() / "state"),
        plugins_(dir_.path() / "plugins"),
        records_(dir_.path() / "records") {
    // An empty configuration file, so the user's own never leaks in.
    std::ofstream(dir_.path() / "none.conf") << "";
  }
  // The test's daemons are gone by now (declared after the fixture); their
  // children may not be.
  ~DaemonFixture() { KillTasksLeftRunning(state_); }
  DaemonFixture(const DaemonFixture&) = delete;
  DaemonFixture& operator=(const DaemonFixture&) = delete;

  const std::filesystem::path& state() const { return state_; }
  PluginDir& plugins() { return plugins_; }
  const std::filesystem::path& records() const { return records_; }
  const std::filesystem::path& root() const { return dir_.path(); }

  // The daemon's arguments for this queue plus `extra`.
  std::vector<std::string> Args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> a = {"--state-dir",  state_.string(),
                                  "--plugin-dir", plugins_.path().string(),
                                  "--config",     (dir_.path() / "none.conf").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Starts a daemon and waits until it is ready.
  std::unique_ptr<DaemonProcess> StartDaemon(const std::vector<std::string>& extra = {},
                                             const std::vector<std::string>& env = {}) {
    return StartReadyDaemon(Args(extra), dir_.path(), ++started_, env);
  }

  // The queue, opened with the same plugins as the daemon (producers and
  // the daemon must agree on processors).
  Queue& queue() {
    if (!queue_) {
      auto registry = std::make_shared<ProcessorRegistry>();
      manager_ = std::make_unique<PluginManager>(
          registry,
          std::vector<PluginDirectory>{{plugins_.path(), PluginDirectory::Origin::kCommandLine}});
      // Files that fail are skipped here as in the daemon (tests of that
      // write one on purpose).
      (void)manager_->LoadAll();
      QueueOptions options;
      options.state_dir = state_;
      options.registry = registry;
      auto q = Queue::Open(options);
      EXPECT_TRUE(q.ok()) << q.status().ToString();
      queue_ = std::move(q).value();
    }
    return *queue_;
  }

  int64_t Enqueue(const std::string& command, const TaskOptions& options = {}) {
    auto r = queue().QueueTask(command, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return 0;
    EXPECT_TRUE(r->status.ok()) << r->status.ToString();
    return r->id;
  }

  std::optional<Task> Find(int64_t id) {
    auto t = queue().FindTask(id);
    return t.ok() ? *t : std::nullopt;
  }

  // Waits until task `id` is in `state` (false if the time ran out).
  bool WaitForState(int64_t id, TaskState state,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return WaitUntil(
        [&] {
          auto t = Find(id);
          return t && t->state == state;
        },
        timeout);
  }

  // The tasks not finished yet, one line each, for failure messages.
  std::string Unfinished() {
    std::string out;
    for (TaskState st : {TaskState::kWaiting, TaskState::kDeferred, TaskState::kProcessing}) {
      auto tasks = queue().TasksInState(st);
      if (!tasks.ok()) continue;
      for (const auto& t : *tasks) {
        out += t.uuid() + " " + TaskStateName(t.state) + " attempts " +
               std::to_string(t.attempts_made) + "/" + std::to_string(t.attempts_max) + " pid " +
               std::to_string(t.pid) + " runner " + std::to_string(t.runner_pid) + " error '" +
               t.error + "'\n";
      }
    }
    auto scheduled = Scheduler::ForQueue(queue())->SnapshotTaskSchedule();
    if (scheduled.ok()) {
      for (const auto& t : *scheduled) {
        out += t.uuid() + " scheduled at " + std::to_string(t.run_at.value_or(0)) + " attempts " +
               std::to_string(t.attempts_made) + "/" + std::to_string(t.attempts_max) + "\n";
      }
    }
    return out;
  }

  // True when no task waits, is deferred, processing or scheduled.
  bool AllFinished() {
    auto c = queue().Counts();
    return c.ok() && c->waiting + c->deferred + c->processing + c->scheduled == 0;
  }

 private:
  TempDir dir_;
  std::filesystem::path state_;
  PluginDir plugins_;
  std::filesystem::path records_;
  int started_ = 0;
  std::unique_ptr<PluginManager> manager_;
  std::unique_ptr<Queue> queue_;
};

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_INTEGRATION_DAEMON_TEST_UTIL_H_
