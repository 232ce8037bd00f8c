// Parser for taskqueued.conf (see config.h for the format).
#include "config.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <system_error>

#include "taskqueue_paths.h"

namespace taskqueue::daemon {
namespace {

using StringField = std::optional<std::string> DaemonConfig::*;
using NumberField = std::optional<int64_t> DaemonConfig::*;

// Checks a string value; returns what is wrong with it, or "" when fine.
using Validator = std::string (*)(std::string_view);

std::string ValidateDurability(std::string_view v) {
  return (v == "full" || v == "normal")
             ? ""
             : "must be 'full' or 'normal', not '" + std::string(v) + "'";
}

std::string ValidateLogLevel(std::string_view v) {
  static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), v) != std::end(kLevels)) return "";
  return "must be one of trace, debug, info, warn, error, critical, off; not '" + std::string(v) +
         "'";
}

// The same rule as QueueOptions::name.
std::string ValidateName(std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) {
      return "'" + std::string(v) + "' has '" + std::string(1, c) + "' at position " +
             std::to_string(i + 1) +
             "; a queue name may hold only letters, digits, '-', '_' and '.'";
    }
  }
  return "";
}

// "ADDR:PORT" or "[V6ADDR]:PORT" with a decimal port 0-65535. The address
// itself is checked when the daemon binds it.
std::string ValidateHttp(std::string_view v) {
  const std::string expected =
      "expected ADDR:PORT (e.g. 127.0.0.1:8080), not '" + std::string(v) + "'";
  size_t colon = v.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return expected;
  std::string_view host = v.substr(0, colon);
  std::string_view port = v.substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') return expected;
  if (host.front() != '[' && host.find(':') != std::string_view::npos) {
    return "an IPv6 address needs brackets, e.g. [::1]:8080; not '" + std::string(v) + "'";
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) > 65535) {
    return "port '" + std::string(port) + "' is not a number from 0 to 65535";
  }
  return "";
}

std::string ValidatePath(std::string_view) { return ""; }

struct KeySpec {
  const char* key;
  StringField string_field;  // set for string keys
  NumberField number_field;  // set for positive-integer keys
  Validator validate;        // string keys only
};

// plugin_dir, the one repeatable key, is handled apart.
constexpr const char* kPluginDir = "plugin_dir";

const KeySpec kKeys[] = {
    {"state_dir", &DaemonConfig::state_dir, nullptr, ValidatePath},
    {"name", &DaemonConfig::name, nullptr, ValidateName},
    {"http", &DaemonConfig::http, nullptr, ValidateHttp},
    {"http_token_file", &DaemonConfig::http_token_file, nullptr, ValidatePath},
    {"http_read_only_token_file", &DaemonConfig::http_read_only_token_file, nullptr, ValidatePath},
    {"durability", &DaemonConfig::durability, nullptr, ValidateDurability},
    {"log_level", &DaemonConfig::log_level, nullptr, ValidateLogLevel},
    {"max_running", nullptr, &DaemonConfig::max_running, nullptr},
    {"default_timeout", nullptr, &DaemonConfig::default_timeout, nullptr},
    {"max_timeout", nullptr, &DaemonConfig::max_timeout, nullptr},
    {"default_child_timeout", nullptr, &DaemonConfig::default_child_timeout, nullptr},
    {"keep_finished_seconds", nullptr, &DaemonConfig::keep_finished_seconds, nullptr},
    {"keep_complete_count", nullptr, &DaemonConfig::keep_complete_count, nullptr},
    {"keep_failed_count", nullptr, &DaemonConfig::keep_failed_count, nullptr},
    {"keep_events_seconds", nullptr, &DaemonConfig::keep_events_seconds, nullptr},
    {"max_output_bytes", nullptr, &DaemonConfig::max_output_bytes, nullptr},
    {"shutdown_grace_seconds", nullptr, &DaemonConfig::shutdown_grace_seconds, nullptr},
};

const KeySpec* FindKey(std::string_view key) {
  for (const KeySpec& spec : kKeys) {
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

// Levenshtein distance, for "did you mean" hints on misspelt keys.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownKeyMessage(std::string_view key) {
  std::string best = kPluginDir;
  size_t best_distance = EditDistance(key, best);
  for (const KeySpec& spec : kKeys) {
    size_t d = EditDistance(key, spec.key);
    if (d < best_distance) {
      best_distance = d;
      best = spec.key;
    }
  }
  std::string message = "unknown key";
  if (best_distance <= 2) message += " (did you mean '" + best + "'?)";
  return message;
}

// Strict positive decimal integer: digits only, no sign, no overflow.
std::string ParsePositive(std::string_view text, int64_t* out) {
  const std::string not_positive = "'" + std::string(text) + "' is not a positive whole number";
  if (text.empty()) return not_positive;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return not_positive;
    int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
      return "'" + std::string(text) + "' is too large";
    }
    value = value * 10 + digit;
  }
  if (value == 0) return not_positive;
  *out = value;
  return "";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// $HOME, else the passwd entry's home (HOME is unset under some service
// managers and in `env -i`).
std::filesystem::path HomeDir() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return home;
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  struct passwd entry;
  struct passwd* found = nullptr;
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_dir != nullptr) {
    return found->pw_dir;
  }
  return "/";
}

}  // namespace

Result<DaemonConfig> ParseConfig(std::string_view text, const std::string& filename) {
  DaemonConfig config;
  std::map<std::string, size_t, std::less<>> first_seen;  // key -> line number
  size_t line_number = 0;

  auto error = [&](std::string_view key, const std::string& what) {
    return Status::Config(filename + ":" + std::to_string(line_number) + ": " + std::string(key) +
                          ": " + what);
  };

  while (!text.empty()) {
    ++line_number;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);

    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;

    size_t key_end = 0;
    while (key_end < line.size() && !IsSpace(line[key_end])) ++key_end;
    std::string_view key = line.substr(0, key_end);
    std::string_view value = Trim(line.substr(key_end));
    // A value may be wrapped in double quotes to keep surrounding spaces.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }

    bool is_plugin_dir = key == kPluginDir;
    const KeySpec* spec = is_plugin_dir ? nullptr : FindKey(key);
    if (!is_plugin_dir && spec == nullptr) return error(key, UnknownKeyMessage(key));
    if (value.empty()) return error(key, "missing value");

    if (is_plugin_dir) {
      config.plugin_dirs.emplace_back(value);
      continue;
    }
    auto [it, inserted] = first_seen.emplace(std::string(key), line_number);
    if (!inserted) {
      return error(key, "given twice (first on line " + std::to_string(it->second) +
                            "); only plugin_dir may repeat");
    }
    if (spec->number_field != nullptr) {
      int64_t number = 0;
      std::string wrong = ParsePositive(value, &number);
      if (!wrong.empty()) return error(key, wrong);
      config.*(spec->number_field) = number;
    } else {
      std::string wrong = spec->validate(value);
      if (!wrong.empty()) return error(key, wrong);
      config.*(spec->string_field) = std::string(value);
    }
  }
  return config;
}

Result<DaemonConfig> LoadConfig(const std::filesystem::path& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    return Status::NotFound("Config file " + path.string() + " does not exist");
  }
  if (std::filesystem::is_directory(status)) {
    return Status::Config("Config file " + path.string() + " is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IOError("Cannot read config file " + path.string() + ": " +
                           std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Status::IOError("Cannot read config file " + path.string() + ": " +
                           std::strerror(errno));
  }
  return ParseConfig(text.str(), path.string());
}

std::filesystem::path DefaultConfigPath() { return DefaultConfigPath(geteuid() == 0); }

std::filesystem::path DefaultConfigPath(bool system_mode) {
  if (system_mode) return std::filesystem::path(TASKQUEUE_SYSCONF_DIR) / "taskqueued.conf";
  std::filesystem::path base;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    base = xdg;
  } else {
    base = HomeDir() / ".config";
  }
  return base / "taskqueue" / "taskqueued.conf";
}

DaemonConfig MergeConfig(const DaemonConfig& file, const DaemonConfig& flags) {
  DaemonConfig merged = file;
  for (const KeySpec& spec : kKeys) {
    if (spec.string_field != nullptr && (flags.*spec.string_field).has_value()) {
      merged.*spec.string_field = flags.*spec.string_field;
    }
    if (spec.number_field != nullptr && (flags.*spec.number_field).has_value()) {
      merged.*spec.number_field = flags.*spec.number_field;
    }
  }
  if (!flags.plugin_dirs.empty()) merged.plugin_dirs = flags.plugin_dirs;
  return merged;
}

}  // namespace taskqueue::daemon
