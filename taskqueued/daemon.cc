// Daemon start-up: lock, plugins, queue, recovery, HTTP. The loop itself is
// in daemon_loop.cc.
#include "daemon.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "recovery.h"

namespace taskqueue::daemon {
namespace {

// The state dir, as the library makes it (mode 0700), created before the
// lock file inside it.
Status EnsureStateDir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::OK();
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError("Cannot create state directory '" + dir.string() +
                           "': " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace

Daemon::Daemon(DaemonOptions options, SignalChannel& signals)
    : options_(std::move(options)), signals_(signals) {}

Daemon::~Daemon() {
  // The HTTP server's threads use the shared registry: stop them first.
  http_.reset();
  if (waker_) {
    waker_->Remove(signals_.fd());
    if (inprocess_) waker_->Remove(inprocess_->fd());
  }
}

Result<std::unique_ptr<Daemon>> Daemon::Start(DaemonOptions options, SignalChannel& signals) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(options), signals));
  TQ_RETURN_IF_ERROR(d->Open());
  return d;
}

Status Daemon::Open() {
  const QueueOptions& qo = options_.queue;
  if (qo.state_dir.empty()) return Status::InvalidArgument("no state directory given");
  // Before any file is named after it: "../x" would put the lock elsewhere.
  TQ_RETURN_IF_ERROR(CheckQueueName(qo.name));
  TQ_RETURN_IF_ERROR(EnsureStateDir(qo.state_dir));

  // One daemon per queue. Taken before the queue is opened, so that a
  // second daemon stores no settings and touches no task.
  auto lock = DaemonLock::Acquire(DaemonLock::LockPath(qo.state_dir, qo.name));
  if (!lock.ok()) return lock.status();
  lock_ = std::move(lock).value();

  plugins_ = std::make_unique<PluginHost>(options_.plugin_dirs);
  (void)plugins_->Load();  // failures are logged; the daemon runs on

  QueueOptions open_options = qo;
  open_options.registry = plugins_->registry();
  // The daemon owns its process, and this is its first use of SQLite.
  open_options.sqlite_memory_statistics = false;
  auto queue = Queue::Open(open_options);
  if (!queue.ok()) return queue.status();
  queue_ = std::shared_ptr<Queue>(std::move(queue).value());
  for (const auto& [key, value] : options_.settings) {
    TQ_RETURN_IF_ERROR(queue_->SetSetting(key, value));
  }
  scheduler_ = Scheduler::ForQueue(*queue_);
  // The scheduler's file is opened on first use: open it now, so that a
  // damaged one stops the start (or, with --recover, is moved aside) as the
  // queue's does.
  if (auto scheduled = scheduler_->HowManyScheduled(); !scheduled.ok()) {
    return scheduled.status();
  }

  auto waker = Waker::Create(qo.state_dir, qo.name);
  if (!waker.ok()) return waker.status();
  waker_ = std::move(waker).value();
  TQ_RETURN_IF_ERROR(waker_->Add(signals_.fd(), kSignalTag));
  auto runner = InProcessRunner::Create(queue_);
  if (!runner.ok()) return runner.status();
  inprocess_ = std::move(runner).value();
  TQ_RETURN_IF_ERROR(waker_->Add(inprocess_->fd(), kInProcessTag));
  auto journal = SpawnJournal::Open(SpawnJournal::PathFor(qo.state_dir, qo.name));
  if (!journal.ok()) return journal.status();
  journal_ = std::move(journal).value();
  children_ = std::make_unique<ChildSupervisor>(*queue_, *waker_, *journal_, options_.kill_grace);

  auto recovered = RecoverProcessingTasks(*queue_, *children_, journal_->leftovers());
  if (!recovered.ok()) return recovered.status();
  // What the notes told is committed now.
  journal_->Sync();
  if (recovered->adopted + recovered->requeued + recovered->lost + recovered->left_alone > 0) {
    spdlog::info(
        "recovery: {} still running and supervised again, {} never started, {} lost, {} run "
        "by other processes",
        recovered->adopted, recovered->requeued, recovered->lost, recovered->left_alone);
  }
  auto pruned = queue_->PruneHistory();
  if (!pruned.ok()) spdlog::warn("pruning history: {}", pruned.status().message());

  if (options_.http) {
    auto http = HttpFrontend::Start(open_options, *options_.http);
    if (!http.ok()) return http.status();
    http_ = std::move(http).value();
    const bool v6 = options_.http->address.find(':') != std::string::npos;
    spdlog::info("HTTP API listening on http://{}{}{}:{}/", v6 ? "[" : "", options_.http->address,
                 v6 ? "]" : "", http_->port());
  }

  const int64_t now = SteadyMillis();
  next_safety_ms_ = now + options_.safety_poll.count();
  next_prune_ms_ = now + options_.prune_interval.count();
  return Status::OK();
}

bool Daemon::HasStrayThreads() const { return inprocess_ && inprocess_->busy_threads() > 0; }

}  // namespace taskqueue::daemon
