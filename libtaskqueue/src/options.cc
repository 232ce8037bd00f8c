// QueueSettings by name (for `taskqueuectl set`, `info` and the daemon's
// flags) and the default state directory.
#include "taskqueue/options.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <limits>
#include <string_view>
#include <vector>

namespace taskqueue {
namespace {

// One row per setting, in the struct's order, so Keys(), Get() and Set()
// can never disagree.
struct SettingField {
  const char* key;
  int64_t QueueSettings::*member;
};

constexpr SettingField kFields[] = {
    {"max_running", &QueueSettings::max_running},
    {"default_timeout", &QueueSettings::default_timeout},
    {"max_timeout", &QueueSettings::max_timeout},
    {"default_child_timeout", &QueueSettings::default_child_timeout},
    {"keep_finished_seconds", &QueueSettings::keep_finished_seconds},
    {"keep_complete_count", &QueueSettings::keep_complete_count},
    {"keep_failed_count", &QueueSettings::keep_failed_count},
    {"keep_events_seconds", &QueueSettings::keep_events_seconds},
    {"max_output_bytes", &QueueSettings::max_output_bytes},
};

const SettingField* FindField(std::string_view key) {
  for (const SettingField& f : kFields) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

// Strict positive decimal integer: digits only (an optional leading '+'),
// no spaces, no overflow.
bool ParsePositive(std::string_view text, int64_t* out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (value <= 0) return false;
  *out = value;
  return true;
}

std::string KnownKeys() {
  std::string out;
  for (const SettingField& f : kFields) {
    if (!out.empty()) out += ", ";
    out += f.key;
  }
  return out;
}

const char* NonEmptyEnv(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

}  // namespace

Status QueueSettings::Set(const std::string& key, const std::string& value) {
  const SettingField* field = FindField(key);
  if (field == nullptr) {
    return Status::InvalidArgument("Unknown setting '" + key + "'; known settings: " + KnownKeys() +
                                   ".");
  }
  int64_t parsed = 0;
  if (!ParsePositive(value, &parsed)) {
    return Status::InvalidArgument("Invalid value '" + value + "' for setting '" + key +
                                   "': must be a positive integer.");
  }
  this->*(field->member) = parsed;
  return Status::OK();
}

std::optional<int64_t> QueueSettings::Get(const std::string& key) const {
  const SettingField* field = FindField(key);
  if (field == nullptr) return std::nullopt;
  return this->*(field->member);
}

const std::vector<std::string>& QueueSettings::Keys() {
  static const std::vector<std::string>* const keys = [] {
    auto* v = new std::vector<std::string>();
    for (const SettingField& f : kFields) v->emplace_back(f.key);
    return v;
  }();
  return *keys;
}

std::filesystem::path DefaultStateDir() {
  if (const char* dir = NonEmptyEnv("TASKQUEUE_STATE_DIR")) return dir;
  // The XDG spec says a relative $XDG_STATE_HOME is invalid and must be ignored.
  if (const char* xdg = NonEmptyEnv("XDG_STATE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::filesystem::path(xdg) / "taskqueue";
  }
  std::filesystem::path home;
  if (const char* h = NonEmptyEnv("HOME")) {
    home = h;
  } else if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_dir != nullptr) {
    home = pw->pw_dir;
  } else {
    home = "/";
  }
  return home / ".local" / "state" / "taskqueue";
}

}  // namespace taskqueue
