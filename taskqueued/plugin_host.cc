#include "plugin_host.h"

#include <spdlog/spdlog.h>

#include <set>

namespace taskqueue::daemon {

PluginHost::PluginHost(std::vector<std::filesystem::path> command_line_dirs)
    : command_line_dirs_(std::move(command_line_dirs)),
      registry_(std::make_shared<ProcessorRegistry>()) {}

const std::vector<LoadedPlugin>& PluginHost::loaded() const {
  static const std::vector<LoadedPlugin> kNone;
  return manager_ ? manager_->loaded() : kNone;
}

const std::vector<PluginDirectory>& PluginHost::directories() const {
  static const std::vector<PluginDirectory> kNone;
  return manager_ ? manager_->directories() : kNone;
}

std::vector<PluginFailure> PluginHost::LoadInto(
    const std::shared_ptr<ProcessorRegistry>& registry) {
  manager_ = std::make_unique<PluginManager>(registry, PluginSearchPath(command_line_dirs_));
  (void)manager_->LoadAll();  // the failures are listed below
  for (const auto& dir : manager_->directories()) {
    spdlog::debug("plugin directory {}", dir.path.string());
  }
  for (const auto& plugin : manager_->loaded()) {
    std::string commands;
    for (const auto& c : plugin.commands) commands += (commands.empty() ? "" : ", ") + c;
    spdlog::info("loaded plugin {} ({})", plugin.file, commands);
  }
  for (const auto& [skipped, by] : manager_->shadowed()) {
    spdlog::info("plugin {} is shadowed by {}", skipped, by);
  }
  for (const auto& failure : manager_->failures()) {
    spdlog::error("plugin {} failed to load: {}", failure.file, failure.reason);
  }
  return manager_->failures();
}

std::vector<PluginFailure> PluginHost::Load() { return LoadInto(registry_); }

std::vector<PluginFailure> PluginHost::Reload() {
  auto fresh = std::make_shared<ProcessorRegistry>();
  std::vector<PluginFailure> failures = LoadInto(fresh);
  // Built-in commands (no source) are the same in both registries.
  const auto fresh_commands = fresh->Commands();
  const std::set<std::string> keep(fresh_commands.begin(), fresh_commands.end());
  for (const auto& command : registry_->Commands()) {
    if (registry_->SourceOf(command).empty()) continue;
    if (keep.count(command) == 0) {
      (void)registry_->Unregister(command);
      spdlog::info("command '{}' is no longer defined", command);
    }
  }
  for (const auto& command : fresh_commands) {
    const std::string source = fresh->SourceOf(command);
    if (source.empty()) continue;
    // The registry hands out const processors; the new registry is ours
    // alone and is dropped right after, so moving them over is safe.
    auto processor = std::const_pointer_cast<Processor>(fresh->Find(command));
    (void)registry_->Unregister(command);
    Status st = registry_->Register(command, std::move(processor), source);
    if (!st.ok()) spdlog::error("reload: cannot register '{}': {}", command, st.message());
  }
  for (const auto& failure : failures) {
    registry_->RecordFailedFile(failure.file, failure.reason, failure.commands);
  }
  return failures;
}

}  // namespace taskqueue::daemon
