#include "options_from_config.h"

namespace taskqueue::daemon {

Result<DaemonOptions> OptionsFromConfig(const DaemonConfig& config) {
  DaemonOptions options;
  QueueOptions& q = options.queue;
  q.state_dir = config.state_dir ? std::filesystem::path(*config.state_dir) : DefaultStateDir();
  if (config.name) q.name = *config.name;
  if (config.durability) {
    q.durability = *config.durability == "normal" ? Durability::kNormal : Durability::kFull;
  }
  q.max_running = config.max_running;
  q.default_timeout = config.default_timeout;
  q.max_timeout = config.max_timeout;
  q.default_child_timeout = config.default_child_timeout;
  const std::pair<const char*, const std::optional<int64_t>*> more[] = {
      {"keep_finished_seconds", &config.keep_finished_seconds},
      {"keep_complete_count", &config.keep_complete_count},
      {"keep_failed_count", &config.keep_failed_count},
      {"keep_events_seconds", &config.keep_events_seconds},
      {"max_output_bytes", &config.max_output_bytes},
  };
  for (const auto& [key, value] : more) {
    if (value->has_value()) options.settings.emplace_back(key, std::to_string(**value));
  }
  for (const auto& dir : config.plugin_dirs) options.plugin_dirs.emplace_back(dir);
  if (config.shutdown_grace_seconds) {
    options.shutdown_grace = std::chrono::seconds(*config.shutdown_grace_seconds);
  }

  if (config.http) {
    auto listen = ParseListenAddress(*config.http);
    if (!listen.ok()) return Status::Config(listen.status().message());
    if (config.http_token_file) {
      auto token = ReadTokenFile(*config.http_token_file);
      if (!token.ok()) return token.status();
      listen->token = *token;
    }
    if (config.http_read_only_token_file) {
      auto token = ReadTokenFile(*config.http_read_only_token_file);
      if (!token.ok()) return token.status();
      listen->read_only_token = *token;
    }
    if (!IsLoopbackAddress(listen->address) && listen->token.empty()) {
      return Status::Config("--http " + *config.http +
                            ": a non-loopback address needs --http-token-file");
    }
    options.http = *listen;
  }  // without --http, token files are not read (a config may keep them)
  return options;
}

}  // namespace taskqueue::daemon
