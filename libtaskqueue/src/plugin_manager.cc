// PluginManager: finds plugin files, loads declarative JSON files and C++
// shared objects, and registers their processors.
#include <dlfcn.h>

#include <algorithm>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "declarative_processor.h"
#include "taskqueue/plugin.h"

namespace taskqueue {

namespace fs = std::filesystem;

// A dlopen()ed plugin, closed when the last processor it registered and the
// manager are gone.
struct PluginManager::Library {
  explicit Library(void* h) : handle(h) {}
  ~Library() {
    if (handle != nullptr) ::dlclose(handle);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  void* handle;
};

namespace {

bool HasWhitespace(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

// A callable registered by a plugin, run in-process.
class PluginFunctionProcessor final : public Processor {
 public:
  explicit PluginFunctionProcessor(ProcessFunction fn) : fn_(std::move(fn)) {}
  Result<std::string> ProcessTask(TaskContext& context) const override { return fn_(context); }

 private:
  ProcessFunction fn_;
};

// Wraps `processor` so that the code it runs (its destructor included) stays
// mapped: the library is released only after the processor is destroyed.
std::shared_ptr<Processor> PinToLibrary(std::shared_ptr<Processor> processor,
                                        std::shared_ptr<void> library) {
  Processor* raw = processor.get();
  return std::shared_ptr<Processor>(
      raw, [processor = std::move(processor), library = std::move(library)](Processor*) mutable {
        processor.reset();
        library.reset();
      });
}

// Collects what a plugin's init registers, checking names and conflicts as
// it goes, so that a plugin that fails registers nothing.
class CollectingRegistrar final : public PluginRegistrar {
 public:
  CollectingRegistrar(std::string path, const ProcessorRegistry& registry)
      : path_(std::move(path)), registry_(registry) {}

  Status Register(const std::string& command, std::shared_ptr<Processor> processor) override {
    Status s = Check(command, processor != nullptr);
    if (!s.ok()) {
      errors_.push_back(s.message());
      return s;
    }
    pending_.emplace_back(command, std::move(processor));
    return Status::OK();
  }

  Status RegisterFunction(const std::string& command, ProcessFunction fn) override {
    if (!fn) return Register(command, nullptr);
    return Register(command, std::make_shared<PluginFunctionProcessor>(std::move(fn)));
  }

  void Fail(const std::string& reason) override { errors_.push_back(reason); }
  std::string plugin_path() const override { return path_; }

  const std::vector<std::pair<std::string, std::shared_ptr<Processor>>>& pending() const {
    return pending_;
  }
  const std::vector<std::string>& errors() const { return errors_; }
  // Every well-formed command name the plugin tried to register.
  const std::vector<std::string>& commands() const { return commands_; }

 private:
  Status Check(const std::string& command, bool have_processor) {
    if (command.empty()) return Status::InvalidArgument("Missing command name.");
    if (HasWhitespace(command)) {
      return Status::InvalidArgument("Command name '" + command + "' contains whitespace.");
    }
    commands_.push_back(command);
    if (!have_processor) {
      return Status::InvalidArgument("Missing task processor for '" + command + "'.");
    }
    for (const auto& [taken, unused] : pending_) {
      if (taken == command) {
        return Status::InvalidArgument("command '" + command + "' is registered twice by " + path_ +
                                       ".");
      }
    }
    if (registry_.Find(command) != nullptr) {
      std::string other = registry_.SourceOf(command);
      return Status::InvalidArgument("command '" + command + "' is already registered (" +
                                     (other.empty() ? "built in" : "by " + other) +
                                     "); cannot register it again from " + path_ + ".");
    }
    return Status::OK();
  }

  std::string path_;
  const ProcessorRegistry& registry_;
  std::vector<std::pair<std::string, std::shared_ptr<Processor>>> pending_;
  std::vector<std::string> errors_;
  std::vector<std::string> commands_;
};

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

bool IsPluginFileName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  fs::path p(name);
  return p.extension() == ".json" || p.extension() == ".so";
}

}  // namespace

PluginManager::PluginManager(std::shared_ptr<ProcessorRegistry> registry,
                             std::vector<PluginDirectory> dirs)
    : registry_(std::move(registry)), dirs_(std::move(dirs)) {
  // Documented as REQUIRES, but a null registry must not crash a daemon.
  if (registry_ == nullptr) registry_ = std::make_shared<ProcessorRegistry>();
}

PluginManager::~PluginManager() = default;

Status PluginManager::Fail(const fs::path& file, const std::string& reason,
                           std::vector<std::string> commands) {
  PluginFailure failure{file.string(), reason, std::move(commands)};
  registry_->RecordFailedFile(failure.file, failure.reason, failure.commands);
  Status s = Status::Config(failure.ToString());
  failures_.push_back(std::move(failure));
  return s;
}

Status PluginManager::LoadAll() {
  const size_t failures_before = failures_.size();
  for (const PluginDirectory& dir : dirs_) {
    std::error_code ec;
    fs::file_status st = fs::status(dir.path, ec);
    if (!fs::exists(st)) {
      if (dir.origin == PluginDirectory::Origin::kCommandLine) {
        (void)Fail(dir.path, "no such plugin directory", {});
      }
      continue;
    }
    if (!fs::is_directory(st)) {
      (void)Fail(dir.path, "not a directory", {});
      continue;
    }
    std::vector<std::string> names;
    fs::directory_iterator it(dir.path, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      std::error_code type_ec;
      if (IsPluginFileName(name) && it->is_regular_file(type_ec)) names.push_back(name);
    }
    if (ec) {
      (void)Fail(dir.path, "cannot list the directory: " + ec.message(), {});
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      fs::path file = dir.path / name;
      auto earlier = loaded_by_filename_.find(name);
      if (earlier != loaded_by_filename_.end()) {
        if (earlier->second != file.string())
          shadowed_.emplace_back(file.string(), earlier->second);
        continue;
      }
      loaded_by_filename_[name] = file.string();
      (void)LoadFile(file);
    }
  }
  size_t failed = failures_.size() - failures_before;
  if (failed == 0) return Status::OK();
  std::vector<std::string> lines;
  for (size_t i = failures_before; i < failures_.size(); ++i) {
    lines.push_back(failures_[i].ToString());
  }
  return Status::Config(std::to_string(failed) + " plugin file" + (failed == 1 ? "" : "s") +
                        " failed to load: " + Join(lines, "; "));
}

Status PluginManager::LoadPluginByName(const std::string& name) {
  fs::path found;
  if (name.find('/') != std::string::npos) {
    std::error_code ec;
    if (fs::is_regular_file(name, ec)) found = name;
  } else if (!name.empty()) {
    for (const PluginDirectory& dir : dirs_) {
      for (const std::string& candidate : {name, name + ".json", name + ".so"}) {
        std::error_code ec;
        if (IsPluginFileName(candidate) && fs::is_regular_file(dir.path / candidate, ec)) {
          found = dir.path / candidate;
          break;
        }
      }
      if (!found.empty()) break;
    }
  }
  if (found.empty()) {
    std::vector<std::string> searched;
    for (const PluginDirectory& dir : dirs_) searched.push_back(dir.path.string());
    return Status::NotFound("no plugin named '" + name + "' (searched: " +
                            (searched.empty() ? "no directories" : Join(searched, ", ")) + ")");
  }
  const std::string key = found.lexically_normal().string();
  for (const LoadedPlugin& p : loaded_) {
    if (fs::path(p.file).lexically_normal().string() == key) return Status::OK();
  }
  for (const PluginFailure& f : failures_) {
    if (fs::path(f.file).lexically_normal().string() == key) return Status::Config(f.ToString());
  }
  loaded_by_filename_.emplace(found.filename().string(), found.string());
  return LoadFile(found);
}

Status PluginManager::LoadFile(const fs::path& file) {
  Status safe = CheckPluginFileSafety(file);
  if (!safe.ok()) {
    // Its commands are still read (never registered), so that queueing one
    // of them names this file rather than saying no plugin defines it.
    std::vector<std::string> commands;
    std::error_code ec;
    if (file.extension() == ".json" && fs::is_regular_file(file, ec)) {
      (void)LoadDeclarativeFile(file, &commands);
    }
    return Fail(file, safe.message(), std::move(commands));
  }
  if (file.extension() == ".json") return LoadJson(file);
  if (file.extension() == ".so") return LoadSharedObject(file);
  return Fail(file, "not a plugin file (expected *.json or *.so)", {});
}

Status PluginManager::LoadJson(const fs::path& file) {
  std::vector<std::string> commands;
  Result<DeclarativeFile> parsed = LoadDeclarativeFile(file, &commands);
  if (!parsed.ok()) {
    // The message starts with the file name; the failure keeps it apart.
    std::string reason = parsed.status().message();
    const std::string prefix = file.string() + ": ";
    if (reason.compare(0, prefix.size(), prefix) == 0) reason.erase(0, prefix.size());
    return Fail(file, reason, std::move(commands));
  }
  LoadedPlugin loaded{file.string(), file.stem().string(), LoadedPlugin::Kind::kJson, {}};
  for (const std::shared_ptr<DeclarativeProcessor>& p : parsed->processors) {
    const std::string& command = p->spec().command;
    Status s = registry_->Register(command, p, file.string());
    if (!s.ok()) {
      for (const std::string& done : loaded.commands) (void)registry_->Unregister(done);
      return Fail(file, s.message(), std::move(commands));
    }
    loaded.commands.push_back(command);
  }
  loaded_.push_back(std::move(loaded));
  return Status::OK();
}

Status PluginManager::LoadSharedObject(const fs::path& file) {
  // RTLD_LOCAL: every plugin exports the same entry point name.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return Fail(file, std::string("cannot load the shared object: ") + (err ? err : "unknown"), {});
  }
  auto library = std::make_shared<Library>(handle);
  ::dlerror();
  auto init = reinterpret_cast<PluginInitFunction>(::dlsym(handle, kPluginInitSymbol));
  if (init == nullptr) {
    return Fail(file,
                std::string("not a taskqueue plugin: it does not export ") + kPluginInitSymbol +
                    " (define it with TASKQUEUE_PLUGIN)",
                {});
  }

  CollectingRegistrar registrar(file.string(), *registry_);
  int rc = TASKQUEUE_PLUGIN_ERR_INIT;
  try {
    rc = init(&registrar, TASKQUEUE_PLUGIN_API_VERSION);
  } catch (const std::exception& e) {
    registrar.Fail(std::string("init threw: ") + e.what());
  } catch (...) {
    registrar.Fail("init threw an unknown exception");
  }
  if (rc == TASKQUEUE_PLUGIN_ERR_API_VERSION) {
    return Fail(file,
                "built for another plugin API version (this taskqueue speaks version " +
                    std::to_string(TASKQUEUE_PLUGIN_API_VERSION) +
                    "); rebuild the plugin against this taskqueue's headers",
                {});
  }
  if (rc != TASKQUEUE_PLUGIN_OK || !registrar.errors().empty()) {
    std::string reason = registrar.errors().empty()
                             ? "init failed (returned " + std::to_string(rc) + ")"
                             : Join(registrar.errors(), "; ");
    return Fail(file, reason, registrar.commands());
  }
  // A plugin may register nothing (say, when its own configuration is
  // absent); it is listed as loaded with no commands.
  LoadedPlugin loaded{file.string(), file.stem().string(), LoadedPlugin::Kind::kSharedObject, {}};
  for (const auto& [command, processor] : registrar.pending()) {
    Status s = registry_->Register(command, PinToLibrary(processor, library), file.string());
    if (!s.ok()) {
      for (const std::string& done : loaded.commands) (void)registry_->Unregister(done);
      return Fail(file, s.message(), registrar.commands());
    }
    loaded.commands.push_back(command);
  }
  loaded_.push_back(std::move(loaded));
  libraries_.push_back(std::move(library));
  return Status::OK();
}

std::map<std::string, std::vector<std::string>> PluginManager::PluginsHash() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const LoadedPlugin& p : loaded_) out[p.file] = p.commands;
  return out;
}

}  // namespace taskqueue
