#include "context.h"

#include <stdlib.h>

#include "output.h"

namespace taskqueue::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return kExitOk;
    case Status::Code::kBusy:
      return kExitTempFail;
    case Status::Code::kConfig:
      return kExitConfig;
    case Status::Code::kNotFound:
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotSupported:
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
    case Status::Code::kAborted:
      return kExitFailure;
  }
  return kExitFailure;
}

Context::Context(Invocation invocation)
    : inv_(std::move(invocation)), registry_(std::make_shared<ProcessorRegistry>()) {}

// Members go in reverse order: scheduler and queue before the registry and
// the plugin code their processors live in.
Context::~Context() = default;

Status Context::ResolveLocation() {
  if (location_resolved_) return Status::OK();
  if (inv_.global.state_dir) {
    if (inv_.global.state_dir->empty()) {
      return Status::InvalidArgument("--state-dir must not be empty");
    }
    state_dir_ = *inv_.global.state_dir;
  } else {
    state_dir_ = DefaultStateDir();
    if (state_dir_.empty()) {
      return Status::InvalidArgument(
          "No state directory: give --state-dir or set TASKQUEUE_STATE_DIR or HOME");
    }
  }
  if (inv_.global.name) {
    if (inv_.global.name->empty()) return Status::InvalidArgument("--name must not be empty");
    name_ = *inv_.global.name;
  } else {
    const char* env = getenv("TASKQUEUE_NAME");
    name_ = env != nullptr && *env != '\0' ? env : "tasks";
  }
  location_resolved_ = true;
  return Status::OK();
}

std::vector<PluginDirectory> Context::PluginDirectories() const {
  std::vector<std::filesystem::path> dirs(inv_.global.plugin_dirs.begin(),
                                          inv_.global.plugin_dirs.end());
  return PluginSearchPath(dirs);
}

const PluginManager& Context::Plugins(bool quiet) {
  if (!plugins_) {
    plugins_ = std::make_unique<PluginManager>(registry_, PluginDirectories());
    // Failures are kept in failures() and in the registry; the call goes on
    // with what loaded.
    (void)plugins_->LoadAll();
    if (!quiet) {
      for (const auto& failure : plugins_->failures()) {
        PrintWarning(json(), "config", "plugin not loaded: " + failure.ToString());
      }
    }
  }
  return *plugins_;
}

Result<Queue*> Context::OpenQueue(bool with_plugins) {
  if (with_plugins) Plugins();
  if (!queue_) {
    TQ_RETURN_IF_ERROR(ResolveLocation());
    QueueOptions options;
    options.state_dir = state_dir_;
    options.name = name_;
    options.recover = inv_.global.recover;
    options.on_moved_aside = [json = json()](const std::string& file) {
      PrintWarning(json, "recovered",
                   file + " was damaged: moved aside to " + file + ".broken, starting it empty");
    };
    options.registry = registry_;
    if (inv_.global.busy_timeout) {
      char* end = nullptr;
      const long long ms = strtoll(inv_.global.busy_timeout->c_str(), &end, 10);
      if (inv_.global.busy_timeout->empty() || *end != '\0' || ms < 0) {
        return Status::InvalidArgument("Invalid --busy-timeout '" + *inv_.global.busy_timeout +
                                       "': use milliseconds (a non-negative integer)");
      }
      options.busy_timeout = std::chrono::milliseconds(ms);
    }
    auto queue = Queue::Open(options);
    if (!queue.ok()) return queue.status();
    queue_ = std::move(queue).value();
  }
  return queue_.get();
}

Result<Scheduler*> Context::OpenScheduler(bool with_plugins) {
  auto queue = OpenQueue(with_plugins);
  if (!queue.ok()) return queue.status();
  if (!scheduler_) scheduler_ = Scheduler::ForQueue(**queue);
  return scheduler_.get();
}

int Context::Fail(const Status& status) {
  PrintError(json(), status.CodeName(), status.message());
  return ExitCodeFor(status);
}

int Context::Usage(const std::string& message) {
  PrintUsageError(json(), message);
  return kExitUsage;
}

int Context::FailWith(int exit_code, const std::string& code, const std::string& message) {
  PrintError(json(), code, message);
  return exit_code;
}

}  // namespace taskqueue::cli
