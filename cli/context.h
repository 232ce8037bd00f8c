// Context: what every verb of taskqueuectl shares: the parsed invocation, the
// queue's location, and the queue, scheduler and plugins, each opened only
// when a verb first asks for it (a call pays only for what it uses).
// Also the mapping from library Status codes to exit statuses.
//
// Thread-safety: single-threaded; owned by main().
#ifndef TASKQUEUE_CLI_CONTEXT_H_
#define TASKQUEUE_CLI_CONTEXT_H_

#include <filesystem>
#include <memory>
#include <string>

#include "invocation.h"
#include "taskqueue/plugin.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"
#include "taskqueue/status.h"

namespace taskqueue::cli {

// NotFound, InvalidArgument, NotSupported, IOError, Corruption, Aborted: 1;
// Busy: 75; Config: 78.
int ExitCodeFor(const Status& status);

class Context {
 public:
  explicit Context(Invocation invocation);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const Invocation& inv() const { return inv_; }
  const std::vector<std::string>& args() const { return inv_.args; }
  bool json() const { return inv_.global.json; }

  // The queue's location: --state-dir, else DefaultStateDir(); --name, else
  // $TASKQUEUE_NAME, else "tasks". InvalidArgument for an empty value.
  Status ResolveLocation();
  const std::filesystem::path& state_dir() const { return state_dir_; }
  const std::string& name() const { return name_; }

  // The plugin directories (SPEC §4.2): each --plugin-dir, then
  // $TASKQUEUE_PLUGIN_PATH, then the installed default.
  std::vector<PluginDirectory> PluginDirectories() const;
  // Loads the plugins into registry() once. Unless `quiet`, each file that
  // failed is reported on stderr as a warning (the call goes on, as SPEC
  // §4.2 says; queueing a command the file defines then fails with 78).
  const PluginManager& Plugins(bool quiet = false);
  // The processors: the built-in `noop`, plus the plugins once Plugins() ran.
  ProcessorRegistry& registry() const { return *registry_; }
  // Opens the queue once. `with_plugins` loads the plugins into its registry
  // first (needed to queue, promote or run tasks); otherwise the queue only
  // knows the built-in `noop`.
  Result<Queue*> OpenQueue(bool with_plugins);
  // The scheduler sharing the queue's state (opens the queue if needed).
  Result<Scheduler*> OpenScheduler(bool with_plugins);

  // Reports `status` (plain or JSON) and returns its exit status.
  int Fail(const Status& status);
  // Reports a usage error and returns 2.
  int Usage(const std::string& message);
  // Reports an error with an explicit exit status and JSON code.
  int FailWith(int exit_code, const std::string& code, const std::string& message);

 private:
  Invocation inv_;
  std::filesystem::path state_dir_;
  std::string name_;
  bool location_resolved_ = false;
  std::shared_ptr<ProcessorRegistry> registry_;
  std::unique_ptr<PluginManager> plugins_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_CONTEXT_H_
