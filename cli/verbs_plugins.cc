// plugins [verbose] and commands [MODULE]: what the plugin directories hold
// and which commands their processors are registered for.

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "output.h"
#include "verbs.h"

namespace taskqueue::cli {
namespace {

// True when `module` names the plugin file `source`: its full path, its file
// name or its file name without the extension.
bool NamesModule(const std::string& module, const std::string& source) {
  if (source.empty()) return module == "builtin" || module == "built-in";
  const std::filesystem::path p(source);
  return module == source || module == p.filename().string() || module == p.stem().string();
}

}  // namespace

int RunPlugins(Context& ctx) {
  bool verbose = false;
  for (const auto& word : ctx.args()) {
    if (word != "verbose" || verbose) return ctx.Usage("plugins: use 'plugins [verbose]'");
    verbose = true;
  }
  const PluginManager& plugins = ctx.Plugins(/*quiet=*/true);
  const auto& dirs = plugins.directories();
  const auto& loaded = plugins.loaded();
  const auto& failed = plugins.failures();

  if (ctx.json()) {
    nlohmann::json doc = {{"dirs", nlohmann::json::array()},
                          {"plugins", nlohmann::json::array()},
                          {"failed", nlohmann::json::array()}};
    for (const auto& dir : dirs) doc["dirs"].push_back(dir.path.string());
    for (const auto& p : loaded) {
      doc["plugins"].push_back({{"file", p.file},
                                {"name", p.name},
                                {"kind", p.kind == LoadedPlugin::Kind::kJson ? "json" : "so"},
                                {"commands", p.commands}});
    }
    for (const auto& f : failed) {
      doc["failed"].push_back({{"file", f.file}, {"reason", f.reason}, {"commands", f.commands}});
    }
    PrintJson(doc);
  } else {
    if (verbose) {
      std::cout << "Plugin directories:\n";
      for (const auto& dir : dirs) {
        std::cout << "  " << dir.path.string()
                  << (std::filesystem::is_directory(dir.path) ? "" : " (missing)") << "\n";
      }
    }
    for (const auto& p : loaded) {
      std::cout << p.file << "\n";
      if (verbose) {
        for (const auto& command : p.commands) std::cout << "  " << command << "\n";
      }
    }
    for (const auto& f : failed) {
      std::cout << Paint("FAILED", Color::kRed) << " " << f.ToString() << "\n";
    }
  }
  if (failed.empty()) return kExitOk;
  for (const auto& f : failed) {
    PrintError(ctx.json(), "config", "plugin failed to load: " + f.ToString());
  }
  return kExitConfig;
}

int RunCommands(Context& ctx) {
  if (ctx.args().size() > 1) return ctx.Usage("commands: use 'commands [MODULE]'");
  const PluginManager& plugins = ctx.Plugins();
  const ProcessorRegistry& registry = ctx.registry();
  std::optional<std::string> module;
  if (!ctx.args().empty()) module = ctx.args()[0];

  bool module_known = !module || NamesModule(*module, "");
  for (const auto& p : plugins.loaded()) {
    if (module && NamesModule(*module, p.file)) module_known = true;
  }
  if (!module_known) {
    return ctx.FailWith(kExitFailure, "not_found", "No loaded plugin named '" + *module + "'");
  }

  nlohmann::json doc = nlohmann::json::array();
  Table table({"COMMAND", "SOURCE"});
  for (const auto& command : registry.Commands()) {
    const std::string source = registry.SourceOf(command);
    if (module && !NamesModule(*module, source)) continue;
    doc.push_back({{"command", command},
                   {"source", source.empty() ? nlohmann::json(nullptr) : nlohmann::json(source)}});
    table.AddRow({command, source.empty() ? "(built-in)" : source});
  }
  if (ctx.json()) {
    PrintJson(doc);
  } else if (!table.empty()) {
    table.Print(std::cout);
  }
  return kExitOk;
}

}  // namespace taskqueue::cli
