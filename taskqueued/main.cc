// taskqueued: the processing daemon (SPEC §6, taskqueued(8)).
//
// Exit status: 0 after a clean shutdown (or --check with no error),
// 1 runtime failure, 2 usage error, 75 another daemon holds the queue,
// 78 bad configuration or plugin (--check), or a refused --http.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/whole_number_validator.h"
#include "config.h"
#include "daemon.h"
#include "logging.h"
#include "options_from_config.h"
#include "plugin_host.h"
#include "signals.h"

namespace {

using taskqueue::Status;
using taskqueue::cli::WholeNumberAtLeast;
using taskqueue::daemon::DaemonConfig;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTempFail = 75;  // EX_TEMPFAIL
constexpr int kExitConfig = 78;    // EX_CONFIG

int ExitCodeFor(const Status& status) {
  if (status.IsBusy()) return kExitTempFail;
  if (status.IsConfig() || status.IsInvalidArgument()) return kExitConfig;
  return kExitFailure;
}

// --check: loads the configuration and every plugin, and says what it found.
int Check(const taskqueue::daemon::DaemonOptions& options) {
  taskqueue::daemon::PluginHost plugins(options.plugin_dirs);
  auto failures = plugins.Load();
  for (const auto& dir : plugins.directories()) {
    std::printf("plugin directory %s\n", dir.path.c_str());
  }
  for (const auto& plugin : plugins.loaded()) {
    std::string commands;
    for (const auto& c : plugin.commands) commands += (commands.empty() ? "" : " ") + c;
    std::printf("ok %s: %s\n", plugin.file.c_str(), commands.c_str());
  }
  for (const auto& failure : failures) {
    std::printf("error %s\n", failure.ToString().c_str());
  }
  if (!failures.empty()) {
    std::printf("%zu plugin file(s) failed to load\n", failures.size());
    return kExitConfig;
  }
  std::printf("configuration OK\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"taskqueued: process the tasks of a taskqueue queue", "taskqueued"};
  app.set_version_flag("--version", TASKQUEUED_VERSION);
  DaemonConfig flags;
  std::string config_file, log_level;
  std::vector<std::string> plugin_dirs;
  int64_t max_running = 0, shutdown_grace = 0, kill_grace = 0;
  bool recover = false, check = false;
  app.add_option("--state-dir", flags.state_dir,
                 "Directory of the queue's files (default: $TASKQUEUE_STATE_DIR, else "
                 "$XDG_STATE_HOME/taskqueue, else ~/.local/state/taskqueue)");
  app.add_option("--name", flags.name, "Queue name (default: tasks)");
  app.add_option("--plugin-dir", plugin_dirs, "Load plugins from DIR (repeatable)")
      ->type_name("DIR");
  app.add_option("--max-running", max_running, "Most tasks running at once; stored with the queue")
      ->check(WholeNumberAtLeast(1));
  app.add_option("--http", flags.http, "Serve the HTTP API and dashboard on ADDR:PORT")
      ->type_name("ADDR:PORT");
  app.add_option("--http-token-file", flags.http_token_file,
                 "Bearer token for the HTTP API (required off loopback)")
      ->type_name("FILE");
  app.add_option("--http-read-only-token-file", flags.http_read_only_token_file,
                 "A token that allows only reads")
      ->type_name("FILE");
  app.add_flag("--recover", recover, "Move a corrupt state file aside instead of failing");
  app.add_flag("--check", check, "Load the configuration and plugins, report, and exit");
  app.add_option("--config", config_file, "Configuration file (default: taskqueued.conf(5))")
      ->type_name("FILE");
  app.add_option("--shutdown-grace", shutdown_grace,
                 "Seconds running tasks get after SIGTERM/SIGINT (default: 30)")
      ->check(WholeNumberAtLeast(0))
      ->type_name("SECS");
  app.add_option("--kill-grace", kill_grace,
                 "Seconds between SIGTERM and SIGKILL when stopping a task (default: 5)")
      ->check(WholeNumberAtLeast(1))
      ->type_name("SECS");
  app.add_option("--durability", flags.durability, "full (default) or normal")
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--log-level", log_level,
                 "trace, debug, info (default), warn, error, critical or off");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  // Signals first: every thread started later (HTTP, in-process work)
  // inherits the blocked mask, so only the loop's signalfd sees them.
  auto signals = taskqueue::daemon::SignalChannel::Create();
  if (!signals.ok()) {
    std::fprintf(stderr, "taskqueued: %s\n", signals.status().message().c_str());
    return kExitFailure;
  }

  // The configuration file, overridden by the flags given.
  DaemonConfig file_config;
  const bool explicit_config = !config_file.empty();
  const std::filesystem::path config_path =
      explicit_config ? std::filesystem::path(config_file) : taskqueue::daemon::DefaultConfigPath();
  auto loaded = taskqueue::daemon::LoadConfig(config_path);
  if (loaded.ok()) {
    file_config = *loaded;
  } else if (explicit_config || !loaded.status().IsNotFound()) {
    std::fprintf(stderr, "taskqueued: %s\n", loaded.status().message().c_str());
    return kExitConfig;
  }
  flags.plugin_dirs = plugin_dirs;
  if (max_running > 0) flags.max_running = max_running;
  if (app.count("--shutdown-grace") > 0) flags.shutdown_grace_seconds = shutdown_grace;
  if (!log_level.empty()) flags.log_level = log_level;
  const DaemonConfig config = taskqueue::daemon::MergeConfig(file_config, flags);

  Status logging = taskqueue::daemon::SetUpLogging(config.log_level.value_or("info"));
  if (!logging.ok()) {
    std::fprintf(stderr, "taskqueued: %s\n", logging.message().c_str());
    return kExitConfig;
  }
  auto options = taskqueue::daemon::OptionsFromConfig(config);
  if (!options.ok()) {
    spdlog::critical("{}", options.status().message());
    return ExitCodeFor(options.status());
  }
  options->queue.recover = recover;
  options->queue.on_moved_aside = [](const std::string& file) {
    spdlog::warn("{} was damaged: moved aside to {}.broken, starting it empty", file, file);
  };
  if (kill_grace > 0) options->kill_grace = std::chrono::seconds(kill_grace);
  if (loaded.ok()) spdlog::info("configuration from {}", config_path.string());

  if (check) return Check(*options);

  const std::filesystem::path state_dir = options->queue.state_dir;
  auto daemon = taskqueue::daemon::Daemon::Start(std::move(options).value(), **signals);
  if (!daemon.ok()) {
    spdlog::critical("{}", daemon.status().message());
    return ExitCodeFor(daemon.status());
  }
  const int code = (*daemon)->Run();
  if ((*daemon)->HasStrayThreads()) {
    // In-process work that could not be stopped still runs on its threads;
    // unwinding the daemon under them would pull the queue away.
    spdlog::warn("exiting while in-process work still runs on its own thread(s)");
    // The queue is not closed, so its last run records may still wait for
    // their background sync: the state dir's file system is synced instead.
    const int dir = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::syncfs(dir);
      ::close(dir);
    }
    spdlog::shutdown();
    std::_Exit(code);
  }
  return code;
}
