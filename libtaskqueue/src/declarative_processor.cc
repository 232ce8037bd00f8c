#include "declarative_processor.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

namespace taskqueue {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::set<std::string>& KnownFields() {
  static const std::set<std::string>* const fields =
      new std::set<std::string>{"command",       "exec",        "min_args",           "max_args",
                                "arg_pattern",   "dupe_args",   "dupe_commands",      "overrides",
                                "deferral_tags", "timeout",     "reschedule_delay",   "attempts",
                                "backoff",       "concurrency", "remove_on_complete", "dedupe"};
  return *fields;
}

bool IsSpaceOrQuote(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\'' ||
         c == '"';
}

// A short rendering of a JSON value for "got ..." in messages.
std::string Got(const json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(v.type_name()) + " " + text;
}

std::string EscapeBraces(const std::string& s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    if (c == '{' || c == '}') out.push_back(c);
  }
  return out;
}

// Validates one file; every error names the file and the field.
class FileParser {
 public:
  explicit FileParser(fs::path file) : file_(std::move(file)) {}

  Status Error(const std::string& field, const std::string& problem) const {
    return Status::Config(file_.string() + ": " + field + ": " + problem);
  }

  Result<int64_t> Integer(const json& v, const std::string& field, int64_t min,
                          int64_t max = std::numeric_limits<int32_t>::max()) const {
    if (!v.is_number_integer()) {
      return Error(field, "expected an integer >= " + std::to_string(min) + ", got " + Got(v));
    }
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max)) {
      return Error(field, "must be at most " + std::to_string(max) + ", got " + v.dump());
    }
    int64_t n = v.get<int64_t>();
    if (n < min || n > max) {
      return Error(field, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                              ", got " + v.dump());
    }
    return n;
  }

  Result<std::string> String(const json& v, const std::string& field) const {
    if (!v.is_string()) return Error(field, "expected a string, got " + Got(v));
    return v.get<std::string>();
  }

  Result<std::vector<size_t>> IndexList(const json& v, const std::string& field,
                                        const DeclarativeSpec& spec) const {
    if (!v.is_array()) return Error(field, "expected an array of arg indexes, got " + Got(v));
    std::vector<size_t> out;
    for (size_t i = 0; i < v.size(); ++i) {
      std::string sub = field + "[" + std::to_string(i) + "]";
      Result<int64_t> n = Integer(v[i], sub, 0, 9999);
      if (!n.ok()) return n.status();
      TQ_RETURN_IF_ERROR(CheckIndex(static_cast<size_t>(*n), sub, spec));
      out.push_back(static_cast<size_t>(*n));
    }
    return out;
  }

  Status CheckIndex(size_t index, const std::string& field, const DeclarativeSpec& spec) const {
    if (spec.max_args.has_value() && index >= *spec.max_args) {
      return Error(field, "arg " + std::to_string(index) + " is beyond max_args " +
                              std::to_string(*spec.max_args) + " (args are numbered from 0)");
    }
    return Status::OK();
  }

  Result<ArgTemplate> Template(const json& v, const std::string& field,
                               const DeclarativeSpec& spec) const {
    Result<std::string> text = String(v, field);
    if (!text.ok()) return text.status();
    Result<ArgTemplate> t = ArgTemplate::Parse(*text);
    if (!t.ok()) return Error(field, t.status().message());
    if (t->max_index().has_value()) {
      TQ_RETURN_IF_ERROR(
          CheckIndex(*t->max_index(), field + " {" + std::to_string(*t->max_index()) + "}", spec));
    }
    return t;
  }

  // The program exec[0] names, made absolute: a bare name is looked up in
  // $PATH, a relative path is taken from the JSON file's directory. It must
  // be an executable file now, so a typo fails at load, not at run time.
  Result<std::string> ResolveProgram(const std::string& program, const std::string& field) const {
    if (program.empty()) return Error(field, "the program name is empty");
    auto executable = [](const fs::path& p) {
      std::error_code ec;
      return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
    };
    if (program.find('/') == std::string::npos) {
      const char* path_env = std::getenv("PATH");
      std::string path =
          (path_env != nullptr && *path_env) ? path_env : "/usr/local/bin:/usr/bin:/bin";
      std::stringstream dirs(path);
      std::string dir;
      while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        fs::path candidate = fs::path(dir) / program;
        if (executable(candidate)) return candidate.string();
      }
      return Error(field, "program '" + program + "' not found in $PATH (" + path + ")");
    }
    fs::path p = program;
    if (p.is_relative())
      p = (file_.parent_path().empty() ? fs::path(".") : file_.parent_path()) / p;
    // Absolute, so that a daemon that changes directory still finds it.
    std::error_code ec;
    fs::path absolute = fs::absolute(p, ec);
    p = (ec ? p : absolute).lexically_normal();
    if (!executable(p)) return Error(field, "'" + p.string() + "' is not an executable file");
    return p.string();
  }

  Result<std::shared_ptr<DeclarativeProcessor>> Entry(const json& e, const std::string& at,
                                                      std::set<std::string>* seen) const {
    if (!e.is_object()) return Error(at, "expected an object, got " + Got(e));
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (KnownFields().count(it.key()) == 0) {
        return Error(at + "." + it.key(), "unknown field");
      }
    }
    DeclarativeSpec spec;

    if (!e.contains("command")) return Error(at + ".command", "missing (it is required)");
    Result<std::string> command = String(e["command"], at + ".command");
    if (!command.ok()) return command.status();
    spec.command = *command;
    if (spec.command.empty()) return Error(at + ".command", "must not be empty");
    if (std::any_of(spec.command.begin(), spec.command.end(), IsSpaceOrQuote)) {
      return Error(at + ".command", "'" + spec.command + "' contains whitespace or a quote");
    }
    if (!seen->insert(spec.command).second) {
      return Error(at + ".command", "'" + spec.command + "' is defined twice in this file");
    }

    // Arg counts first: later fields are checked against max_args.
    for (const char* name : {"min_args", "max_args"}) {
      if (!e.contains(name)) continue;
      Result<int64_t> n = Integer(e[name], at + "." + name, 0, 9999);
      if (!n.ok()) return n.status();
      (std::string(name) == "min_args" ? spec.min_args : spec.max_args) = static_cast<size_t>(*n);
    }
    if (spec.min_args && spec.max_args && *spec.min_args > *spec.max_args) {
      return Error(at + ".min_args", std::to_string(*spec.min_args) + " is greater than max_args " +
                                         std::to_string(*spec.max_args));
    }

    if (!e.contains("exec")) return Error(at + ".exec", "missing (it is required)");
    const json& exec = e["exec"];
    if (!exec.is_array() || exec.empty()) {
      return Error(at + ".exec", "expected a non-empty array of strings, got " + Got(exec));
    }
    for (size_t i = 0; i < exec.size(); ++i) {
      std::string field = at + ".exec[" + std::to_string(i) + "]";
      Result<ArgTemplate> t = Template(exec[i], field, spec);
      if (!t.ok()) return t.status();
      if (i == 0) {
        if (t->uses_args()) {
          return Error(field, "the program may not come from the task's args");
        }
        Task probe;
        probe.command = spec.command;
        Result<std::string> program = ResolveProgram(t->Expand(probe), field);
        if (!program.ok()) return program.status();
        Result<ArgTemplate> resolved = ArgTemplate::Parse(EscapeBraces(*program));
        if (!resolved.ok()) return Error(field, resolved.status().message());
        spec.exec.push_back(std::move(*resolved));
        continue;
      }
      spec.exec.push_back(std::move(*t));
    }

    if (e.contains("arg_pattern")) {
      Result<std::string> text = String(e["arg_pattern"], at + ".arg_pattern");
      if (!text.ok()) return text.status();
      Result<std::shared_ptr<const ArgPattern>> pattern = ArgPattern::Compile(*text);
      if (!pattern.ok()) {
        return Error(at + ".arg_pattern",
                     "invalid regular expression '" + *text + "': " + pattern.status().message());
      }
      spec.arg_pattern = std::move(*pattern);
    }

    if (e.contains("dupe_args")) {
      Result<std::vector<size_t>> list = IndexList(e["dupe_args"], at + ".dupe_args", spec);
      if (!list.ok()) return list.status();
      spec.dupe_args = std::move(*list);
    }

    if (e.contains("dupe_commands")) {
      const json& list = e["dupe_commands"];
      std::string field = at + ".dupe_commands";
      if (!list.is_array())
        return Error(field, "expected an array of command names, got " + Got(list));
      for (size_t i = 0; i < list.size(); ++i) {
        Result<std::string> name = String(list[i], field + "[" + std::to_string(i) + "]");
        if (!name.ok()) return name.status();
        if (name->empty()) return Error(field + "[" + std::to_string(i) + "]", "must not be empty");
        if (*name != spec.command) spec.dupe_commands.push_back(*name);
      }
    }

    if (e.contains("overrides")) {
      const json& rules = e["overrides"];
      std::string field = at + ".overrides";
      if (!rules.is_array()) return Error(field, "expected an array of rules, got " + Got(rules));
      for (size_t i = 0; i < rules.size(); ++i) {
        Result<OverrideRule> rule = Rule(rules[i], field + "[" + std::to_string(i) + "]", spec);
        if (!rule.ok()) return rule.status();
        spec.overrides.push_back(std::move(*rule));
      }
    }

    if (e.contains("deferral_tags")) {
      const json& tags = e["deferral_tags"];
      std::string field = at + ".deferral_tags";
      if (!tags.is_array()) return Error(field, "expected an array of strings, got " + Got(tags));
      for (size_t i = 0; i < tags.size(); ++i) {
        std::string sub = field + "[" + std::to_string(i) + "]";
        if (tags[i].is_string() && tags[i].get<std::string>() == "{args}") {
          return Error(sub, "{args} cannot be used in a tag; use {0}, {1}, ...");
        }
        Result<ArgTemplate> t = Template(tags[i], sub, spec);
        if (!t.ok()) return t.status();
        spec.deferral_tags.push_back(std::move(*t));
      }
    }

    struct IntField {
      const char* name;
      int64_t min;
      int64_t max;
    };
    for (const IntField& f :
         {IntField{"timeout", 1, 365LL * 24 * 3600},
          IntField{"reschedule_delay", 0, 365LL * 24 * 3600}, IntField{"attempts", 1, 1000000},
          IntField{"concurrency", 1, 1000000}}) {
      if (!e.contains(f.name)) continue;
      Result<int64_t> n = Integer(e[f.name], at + "." + f.name, f.min, f.max);
      if (!n.ok()) return n.status();
      std::string name = f.name;
      if (name == "timeout") spec.timeout = *n;
      if (name == "reschedule_delay") spec.reschedule_delay = *n;
      if (name == "attempts") spec.attempts = static_cast<int>(*n);
      if (name == "concurrency") spec.concurrency = static_cast<int>(*n);
    }

    if (e.contains("backoff")) {
      Result<std::string> text = String(e["backoff"], at + ".backoff");
      if (!text.ok()) return text.status();
      Result<Backoff> b = Backoff::Parse(*text);
      if (!b.ok()) return Error(at + ".backoff", b.status().message());
      spec.backoff = *b;
    }

    for (auto [name, out] :
         {std::pair<const char*, bool*>{"remove_on_complete", &spec.remove_on_complete},
          std::pair<const char*, bool*>{"dedupe", &spec.dedupe}}) {
      if (!e.contains(name)) continue;
      const json& v = e[name];
      if (!v.is_boolean()) return Error(at + "." + name, "expected true or false, got " + Got(v));
      *out = v.get<bool>();
    }
    // Without dedupe there is nothing for the dupe rules to refine.
    if (!spec.dedupe && (spec.dupe_args || !spec.dupe_commands.empty())) {
      return Error(at + (spec.dupe_args ? ".dupe_args" : ".dupe_commands"),
                   "has no effect with \"dedupe\": false; remove one of them");
    }

    return std::make_shared<DeclarativeProcessor>(std::move(spec));
  }

  Result<OverrideRule> Rule(const json& r, const std::string& at,
                            const DeclarativeSpec& spec) const {
    if (!r.is_object()) return Error(at, "expected an object, got " + Got(r));
    OverrideRule rule;
    rule.command = spec.command;
    for (auto it = r.begin(); it != r.end(); ++it) {
      const std::string& key = it.key();
      const std::string field = at + "." + key;
      if (key == "command") {
        Result<std::string> c = String(it.value(), field);
        if (!c.ok()) return c.status();
        if (c->empty()) return Error(field, "must not be empty");
        rule.command = *c;
      } else if (key == "when_arg") {
        const json& w = it.value();
        if (!w.is_object()) {
          return Error(field, "expected an object of arg index to value, got " + Got(w));
        }
        for (auto wi = w.begin(); wi != w.end(); ++wi) {
          const std::string& index_text = wi.key();
          std::string sub = field + "." + index_text;
          bool digits = !index_text.empty() && index_text.size() <= 4 &&
                        std::all_of(index_text.begin(), index_text.end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
          if (!digits) return Error(sub, "keys must be arg indexes (\"0\", \"1\", ...)");
          size_t index = std::stoul(index_text);
          TQ_RETURN_IF_ERROR(CheckIndex(index, sub, spec));
          Result<std::string> value = String(wi.value(), sub);
          if (!value.ok()) return value.status();
          rule.when_arg[index] = *value;
        }
      } else if (key == "match_args") {
        Result<std::vector<size_t>> list = IndexList(it.value(), field, spec);
        if (!list.ok()) return list.status();
        rule.match_args = std::move(*list);
      } else {
        return Error(field, "unknown field (a rule has command, when_arg and match_args)");
      }
    }
    return rule;
  }

 private:
  fs::path file_;
};

// Best effort: the command names a (possibly invalid) file defines, so that
// queueing one of them can name the file that failed.
std::vector<std::string> CommandsIn(const json& doc) {
  std::vector<std::string> out;
  if (!doc.is_object() || !doc.contains("processors") || !doc["processors"].is_array()) return out;
  for (const json& e : doc["processors"]) {
    if (e.is_object() && e.contains("command") && e["command"].is_string()) {
      std::string c = e["command"].get<std::string>();
      if (!c.empty()) out.push_back(c);
    }
  }
  return out;
}

// The same for text that is not valid JSON (a stray comma, a cut-off
// file): every `"command": "<name>"` in it. An override's "command" is
// counted too; it names a command of the same file more often than not.
std::vector<std::string> CommandsInText(std::string_view text) {
  static const std::regex kCommandField(R"re("command"\s*:\s*"([^"\\\s]+)")re");
  std::vector<std::string> out;
  for (std::cregex_iterator it(text.data(), text.data() + text.size(), kCommandField), end;
       it != end; ++it) {
    std::string c = (*it)[1].str();
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
  }
  return out;
}

std::optional<std::string> ArgAt(const Task& t, size_t i) {
  if (i < t.args.size()) return t.args[i];
  return std::nullopt;
}

}  // namespace

DeclarativeProcessor::DeclarativeProcessor(DeclarativeSpec spec) : spec_(std::move(spec)) {
  required_args_ = spec_.min_args.value_or(0);
  auto need = [this](const ArgTemplate& t) {
    if (t.max_index().has_value()) required_args_ = std::max(required_args_, *t.max_index() + 1);
  };
  for (const ArgTemplate& t : spec_.exec) need(t);
  for (const ArgTemplate& t : spec_.deferral_tags) need(t);
}

bool DeclarativeProcessor::IsValidArgs(const Task& task) const {
  if (task.args.size() < required_args_) return false;
  if (spec_.max_args.has_value() && task.args.size() > *spec_.max_args) return false;
  if (spec_.arg_pattern != nullptr) {
    for (const std::string& arg : task.args) {
      if (!spec_.arg_pattern->Matches(arg)) return false;
    }
  }
  return true;
}

bool DeclarativeProcessor::IsDupe(const Task& new_task, const Task& old_task) const {
  if (!spec_.dedupe) return false;
  if (old_task.command != spec_.command &&
      std::find(spec_.dupe_commands.begin(), spec_.dupe_commands.end(), old_task.command) ==
          spec_.dupe_commands.end()) {
    return false;
  }
  if (!spec_.dupe_args.has_value()) return new_task.args == old_task.args;
  for (size_t i : *spec_.dupe_args) {
    if (ArgAt(new_task, i) != ArgAt(old_task, i)) return false;
  }
  return true;
}

bool DeclarativeProcessor::HasCustomIsDupe() const {
  // dedupe false is custom too: the default rule (same command and args)
  // must not apply.
  return !spec_.dedupe || spec_.dupe_args.has_value() || !spec_.dupe_commands.empty();
}

std::vector<std::string> DeclarativeProcessor::DupeScope(const Task&) const {
  std::vector<std::string> scope{spec_.command};
  if (!spec_.dedupe) return scope;  // IsDupe is false: keep the scan small
  scope.insert(scope.end(), spec_.dupe_commands.begin(), spec_.dupe_commands.end());
  return scope;
}

bool DeclarativeProcessor::Overrides(const Task& new_task, const Task& old_task) const {
  for (const OverrideRule& rule : spec_.overrides) {
    if (old_task.command != rule.command) continue;
    bool when = std::all_of(rule.when_arg.begin(), rule.when_arg.end(),
                            [&](const auto& kv) { return ArgAt(new_task, kv.first) == kv.second; });
    if (!when) continue;
    bool match = std::all_of(rule.match_args.begin(), rule.match_args.end(),
                             [&](size_t i) { return ArgAt(new_task, i) == ArgAt(old_task, i); });
    if (match) return true;
  }
  return false;
}

std::vector<std::string> DeclarativeProcessor::OverrideScope(const Task&) const {
  std::vector<std::string> scope;
  for (const OverrideRule& rule : spec_.overrides) {
    if (std::find(scope.begin(), scope.end(), rule.command) == scope.end()) {
      scope.push_back(rule.command);
    }
  }
  return scope;
}

std::vector<std::string> DeclarativeProcessor::DeferralTags(const Task& task) const {
  std::vector<std::string> tags;
  tags.reserve(spec_.deferral_tags.size());
  for (const ArgTemplate& t : spec_.deferral_tags) tags.push_back(t.Expand(task));
  return tags;
}

std::vector<std::string> DeclarativeProcessor::Argv(const Task& task) const {
  std::vector<std::string> argv;
  argv.reserve(spec_.exec.size() + task.args.size());
  for (const ArgTemplate& t : spec_.exec) t.ExpandInto(task, &argv);
  return argv;
}

Result<DeclarativeFile> ParseDeclarativeFile(const fs::path& file, std::string_view text,
                                             std::vector<std::string>* commands) {
  FileParser parser(file);
  json doc;
  // nlohmann keeps the last of two equal keys in an object; a file that
  // names a field twice (two "command"s) is refused instead of half read.
  std::vector<std::set<std::string>> keys_in_open_objects;
  std::string duplicate;
  auto check_keys = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys_in_open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end && !keys_in_open_objects.empty()) {
      keys_in_open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !keys_in_open_objects.empty() &&
               !keys_in_open_objects.back().insert(parsed.get<std::string>()).second &&
               duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    doc = json::parse(text, check_keys);
  } catch (const json::exception& err) {
    if (commands != nullptr) *commands = CommandsInText(text);
    // nlohmann's message carries the line and column.
    return Status::Config(file.string() + ": not valid JSON: " + err.what());
  }
  if (commands != nullptr) *commands = CommandsIn(doc);
  if (!duplicate.empty()) {
    if (commands != nullptr) *commands = CommandsInText(text);
    return Status::Config(file.string() + ": field \"" + duplicate +
                          "\" appears twice in one object");
  }
  if (!doc.is_object()) return parser.Error("(top level)", "expected an object, got " + Got(doc));
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "processors") {
      return parser.Error(it.key(), "unknown field (the top level has only \"processors\")");
    }
  }
  if (!doc.contains("processors")) return parser.Error("processors", "missing (it is required)");
  const json& list = doc["processors"];
  if (!list.is_array()) return parser.Error("processors", "expected an array, got " + Got(list));

  DeclarativeFile out;
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    Result<std::shared_ptr<DeclarativeProcessor>> p =
        parser.Entry(list[i], "processors[" + std::to_string(i) + "]", &seen);
    if (!p.ok()) return p.status();
    out.processors.push_back(std::move(*p));
  }
  return out;
}

Result<DeclarativeFile> LoadDeclarativeFile(const fs::path& file,
                                            std::vector<std::string>* commands) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Config(file.string() + ": cannot be read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::Config(file.string() + ": read error");
  return ParseDeclarativeFile(file, buffer.str(), commands);
}

}  // namespace taskqueue
