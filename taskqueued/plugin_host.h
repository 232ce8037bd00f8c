// PluginHost: the daemon's processors. Loads the plugin files of the search
// path (--plugin-dir..., $TASKQUEUE_PLUGIN_PATH, the installed default) into
// one ProcessorRegistry, which the daemon's Queue and HTTP server share, and
// reloads them on SIGHUP. A file that fails to load is logged and skipped;
// the daemon runs on with the rest.
//
// Reload swaps processors inside the same registry object (so everyone
// holding it sees the new set): commands no longer defined are removed, the
// others replaced. Runs in progress keep the processor they started with.
//
// Thread-safety: Load() and Reload() from one thread; the registry itself is
// safe for concurrent use.
#ifndef TASKQUEUED_PLUGIN_HOST_H_
#define TASKQUEUED_PLUGIN_HOST_H_

#include <filesystem>
#include <memory>
#include <vector>

#include "taskqueue/plugin.h"
#include "taskqueue/processor.h"

namespace taskqueue::daemon {

class PluginHost {
 public:
  explicit PluginHost(std::vector<std::filesystem::path> command_line_dirs);

  std::shared_ptr<ProcessorRegistry> registry() const { return registry_; }

  // Loads every plugin. Returns the failures (each also logged).
  std::vector<PluginFailure> Load();
  // Loads every plugin afresh and swaps the result in. Returns the failures.
  std::vector<PluginFailure> Reload();

  // What the last Load() or Reload() loaded.
  const std::vector<LoadedPlugin>& loaded() const;
  const std::vector<PluginDirectory>& directories() const;

 private:
  std::vector<PluginFailure> LoadInto(const std::shared_ptr<ProcessorRegistry>& registry);

  std::vector<std::filesystem::path> command_line_dirs_;
  std::shared_ptr<ProcessorRegistry> registry_;
  std::unique_ptr<PluginManager> manager_;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_PLUGIN_HOST_H_
