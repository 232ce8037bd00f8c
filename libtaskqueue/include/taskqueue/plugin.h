// Plugins: processors loaded by command name from plugin directories, as
// declarative JSON files (*.json, SPEC §4.1) and C++ shared objects (*.so,
// SPEC §4.2).
//
// Writing a C++ plugin: build a MODULE library against <taskqueue/plugin.h>
// and libtaskqueue, and define its entry point with TASKQUEUE_PLUGIN:
//
//   static taskqueue::Status Init(taskqueue::PluginRegistrar& reg) {
//     TQ_RETURN_IF_ERROR(reg.Register("notify", std::make_shared<Notify>()));
//     return reg.RegisterFunction("hello", [](taskqueue::TaskContext& ctx)
//         -> taskqueue::Result<std::string> { return "hi " + ctx.task().argstring; });
//   }
//   TASKQUEUE_PLUGIN(Init);
//
// A plugin must be built with the same compiler family and taskqueue
// headers as the host; TASKQUEUE_PLUGIN_API_VERSION changes whenever the
// headers change in a way that breaks plugins, and a plugin built for another
// version is refused at load. Hooks must not throw.
//
// Thread-safety: PluginManager is not thread-safe; load from one thread, then
// share the registry (which is). PluginRegistrar is only valid during the
// plugin's init call.
#ifndef TASKQUEUE_PLUGIN_H_
#define TASKQUEUE_PLUGIN_H_

#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "taskqueue/export.h"
#include "taskqueue/processor.h"
#include "taskqueue/status.h"

// The plugin ABI version this header describes.
#define TASKQUEUE_PLUGIN_API_VERSION 1u

// Return codes of the entry point.
#define TASKQUEUE_PLUGIN_OK 0
// The host speaks another TASKQUEUE_PLUGIN_API_VERSION: rebuild the plugin.
#define TASKQUEUE_PLUGIN_ERR_API_VERSION 1
// The plugin's init function failed; it said why through Fail().
#define TASKQUEUE_PLUGIN_ERR_INIT 2

namespace taskqueue {

// What a C++ plugin's init function registers its processors through. The
// plugin file is recorded as their source. Registering a command that is
// already registered, or twice, fails here and makes the whole plugin file
// fail to load (nothing of it is registered).
class PluginRegistrar {
 public:
  virtual ~PluginRegistrar() = default;
  // Registers `processor` (a Processor or ChildProcessor subclass) for
  // `command`. InvalidArgument for an empty command, one with whitespace, a
  // null processor or a command already taken (the message names both files).
  virtual Status Register(const std::string& command, std::shared_ptr<Processor> processor) = 0;
  // Registers a plain callable, run in-process.
  virtual Status RegisterFunction(const std::string& command, ProcessFunction fn) = 0;
  // Records why initialisation failed; shown after the file name.
  virtual void Fail(const std::string& reason) = 0;
  // The path of the plugin file being loaded.
  virtual std::string plugin_path() const = 0;
};

// The entry point every C++ plugin exports as "taskqueue_plugin_init".
// Returns TASKQUEUE_PLUGIN_OK or one of the TASKQUEUE_PLUGIN_ERR_* codes.
using PluginInitFunction = int (*)(PluginRegistrar* registrar, uint32_t host_api_version);
inline constexpr const char kPluginInitSymbol[] = "taskqueue_plugin_init";

// One directory plugins are loaded from, and why it is searched.
struct TASKQUEUE_EXPORT PluginDirectory {
  enum class Origin {
    kCommandLine,  // --plugin-dir: a missing directory is an error
    kEnvironment,  // $TASKQUEUE_PLUGIN_PATH: a missing directory is skipped
    kDefault,      // the installed default: a missing directory is skipped
  };
  std::filesystem::path path;
  Origin origin = Origin::kCommandLine;
};

// The search path of SPEC §4.2: `command_line_dirs` in order, then the
// colon-separated $TASKQUEUE_PLUGIN_PATH (empty entries ignored), then the
// installed default (when `include_default`). A directory listed twice is
// kept at its first place only.
TASKQUEUE_EXPORT std::vector<PluginDirectory> PluginSearchPath(
    const std::vector<std::filesystem::path>& command_line_dirs, bool include_default = true);

// The installed default plugin directory (e.g. /usr/lib/x86_64-linux-gnu/taskqueue/plugins).
TASKQUEUE_EXPORT std::filesystem::path DefaultPluginDirectory();

// Plugins are code the daemon runs. OK when `file` is a regular file that
// neither it nor the directory holding it (nor, for a symlink, the directory
// holding its target) is writable by group or others, and all are owned by
// root or the current user. Otherwise Config with a message saying why and
// how to fix it, as sshd and sudo refuse such files.
TASKQUEUE_EXPORT Status CheckPluginFileSafety(const std::filesystem::path& file);

// A plugin file that loaded.
struct TASKQUEUE_EXPORT LoadedPlugin {
  enum class Kind { kJson, kSharedObject };
  std::string file;  // the path as found in its directory
  std::string name;  // the file name without its extension: "examples"
  Kind kind = Kind::kJson;
  std::vector<std::string> commands;  // in registration order
};

// A plugin file (or --plugin-dir directory) that did not load.
struct TASKQUEUE_EXPORT PluginFailure {
  std::string file;
  std::string reason;  // for a person; does not repeat the file name
  // Commands the file defines, as far as they could be read; queueing one of
  // them reports this failure instead of "No known processor".
  std::vector<std::string> commands;
  // "<file>: <reason>".
  std::string ToString() const;
};

// Loads plugin files into a ProcessorRegistry, as cPanel's PluginManager did
// with Perl modules. A file that fails is recorded (failures(), and the
// registry's RecordFailedFile) and skipped; the others still load.
//
// Reloading (SIGHUP): build a fresh registry and PluginManager and swap them
// in. A shared object stays loaded while any processor it registered is
// alive, so tasks running through an old registry finish safely.
class TASKQUEUE_EXPORT PluginManager {
 public:
  // `registry` receives the processors (a fresh one holding only noop if null).
  PluginManager(std::shared_ptr<ProcessorRegistry> registry, std::vector<PluginDirectory> dirs);
  ~PluginManager();
  PluginManager(const PluginManager&) = delete;
  PluginManager& operator=(const PluginManager&) = delete;

  // Loads every *.json and *.so in every directory, in search-path order and
  // by file name within a directory. A file name already loaded from an
  // earlier directory is shadowed (see shadowed()), as PATH does. Files
  // already loaded by this manager are skipped. Returns OK when everything
  // loaded, else Config summarising the failures (all are in failures()).
  Status LoadAll();

  // Loads one plugin: a path (if `name` contains '/'), or the first
  // "<dir>/<name>", "<dir>/<name>.json" or "<dir>/<name>.so" in the search
  // path. OK if it loaded now or was already loaded; NotFound if there is no
  // such file; Config if it failed (also recorded in failures()).
  Status LoadPluginByName(const std::string& name);

  const std::vector<PluginDirectory>& directories() const { return dirs_; }
  const std::vector<LoadedPlugin>& loaded() const { return loaded_; }
  const std::vector<PluginFailure>& failures() const { return failures_; }
  // Files skipped because a file of the same name loaded from an earlier
  // directory: (skipped file, the file that shadows it).
  const std::vector<std::pair<std::string, std::string>>& shadowed() const { return shadowed_; }
  // cPanel's get_plugins_hash: plugin file -> its commands.
  std::map<std::string, std::vector<std::string>> PluginsHash() const;
  std::shared_ptr<ProcessorRegistry> registry() const { return registry_; }

 private:
  struct Library;
  Status LoadFile(const std::filesystem::path& file);
  Status LoadJson(const std::filesystem::path& file);
  Status LoadSharedObject(const std::filesystem::path& file);
  Status Fail(const std::filesystem::path& file, const std::string& reason,
              std::vector<std::string> commands);

  std::shared_ptr<ProcessorRegistry> registry_;
  std::vector<PluginDirectory> dirs_;
  std::vector<LoadedPlugin> loaded_;
  std::vector<PluginFailure> failures_;
  std::vector<std::pair<std::string, std::string>> shadowed_;
  std::map<std::string, std::string> loaded_by_filename_;  // "x.json" -> its path
  std::vector<std::shared_ptr<Library>> libraries_;
};

}  // namespace taskqueue

// Defines a C++ plugin's entry point around `init_function`, a function
// `taskqueue::Status init_function(taskqueue::PluginRegistrar&)`. It checks
// the API version and turns a failed Status or an exception into a load
// failure, so that no exception crosses the C boundary.
#define TASKQUEUE_PLUGIN(init_function)                                        \
  extern "C" __attribute__((visibility("default"))) int taskqueue_plugin_init( \
      ::taskqueue::PluginRegistrar* registrar, uint32_t host_api_version) {    \
    if (host_api_version != TASKQUEUE_PLUGIN_API_VERSION) {                    \
      return TASKQUEUE_PLUGIN_ERR_API_VERSION;                                 \
    }                                                                          \
    try {                                                                      \
      ::taskqueue::Status tq_plugin_status_ = init_function(*registrar);       \
      if (tq_plugin_status_.ok()) return TASKQUEUE_PLUGIN_OK;                  \
      registrar->Fail(tq_plugin_status_.message());                            \
    } catch (const std::exception& tq_plugin_error_) {                         \
      registrar->Fail(std::string("init threw: ") + tq_plugin_error_.what());  \
    } catch (...) {                                                            \
      registrar->Fail("init threw an unknown exception");                      \
    }                                                                          \
    return TASKQUEUE_PLUGIN_ERR_INIT;                                          \
  }                                                                            \
  static_assert(true, "TASKQUEUE_PLUGIN(f) is used as a statement: end it with ';'")

#endif  // TASKQUEUE_PLUGIN_H_
