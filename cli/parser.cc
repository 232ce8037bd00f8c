// Builds the CLI11 description of every verb of SPEC §5 and turns argv into
// an Invocation. CLI11's own exit codes (100-127) are mapped to 2.

#include "parser.h"

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "output.h"
#include "whole_number_validator.h"

namespace taskqueue::cli {
namespace {

constexpr const char* kDescription =
    "Queue, schedule and inspect the tasks of a taskqueue queue.\n"
    "IDs may be given as TQ:TaskQueue:<n>, TQ:TaskQueue-Scheduler:<n> or <n>.";

constexpr const char* kFooter =
    "Environment: TASKQUEUE_STATE_DIR, TASKQUEUE_NAME, TASKQUEUE_PLUGIN_PATH (colon-separated), "
    "NO_COLOR.\n"
    "Exit status: 0 success, 1 failed, 2 usage error, 69 daemon not running, 75 busy, "
    "78 bad configuration or plugin.\n"
    "See taskqueuectl(1).";

struct VerbSpec {
  const char* name;
  const char* help;
  const char* positional;  // nullptr: takes no words
  const char* positional_help;
};

// Every verb, in the order --help lists them.
const VerbSpec kVerbs[] = {
    {"queue", "Queue each command string; prints 'Id: <id>' or 'Duplicate: <cmd>'", "COMMAND",
     "command strings such as \"cmd arg1 'arg 2'\""},
    {"unqueue", "Remove waiting or deferred tasks", "ID", "task ids"},
    {"schedule", "Schedule each command string: schedule [at TIME | after DELAY] COMMAND...",
     "WORDS",
     "optional 'at EPOCH|YYYY-MM-DDTHH:MM[:SS][Z]' or 'after SECS|10m|2h|1d', then command "
     "strings"},
    {"unschedule", "Remove scheduled tasks", "ID", "task ids"},
    {"list", "List tasks: list [verbose] [active|deferred|waiting|scheduled|complete|failed]",
     "WORDS", "'verbose' and/or a state"},
    {"find", "Find a task: find task ID | find command NAME (exact command name)", "WORDS",
     "'task ID' or 'command NAME'"},
    {"plugins", "List the plugin files loaded (and those that failed): plugins [verbose]", "WORDS",
     "'verbose'"},
    {"commands", "List the commands processors are registered for: commands [MODULE]", "MODULE",
     "only the commands of this plugin file (path or file name)"},
    {"status", "Show task counts, whether the queue is paused and the daemon's pid", nullptr,
     nullptr},
    {"info", "Show the queue's settings, state directory and name", nullptr, nullptr},
    {"pause", "Stop starting new tasks", nullptr, nullptr},
    {"resume", "Start new tasks again", nullptr, nullptr},
    {"process",
     "One pass without a daemon: queue due scheduled tasks, run one waiting task in the "
     "foreground: process [verbose] [scheduled|waiting]",
     "WORDS", "'verbose' and/or 'scheduled' or 'waiting'"},
    {"flush_scheduled_tasks", "Queue every scheduled task now; prints the ids queued", nullptr,
     nullptr},
    {"delete_unprocessed_tasks",
     "Delete waiting and deferred tasks and/or scheduled ones: delete_unprocessed_tasks "
     "[scheduled|waiting]",
     "WHICH", "'scheduled' or 'waiting' (default: both)"},
    {"set", "Change a stored setting: set KEY VALUE (max_running, default_timeout, ...)", "WORDS",
     "the setting's name and its new value"},
    {"wait",
     "Wait until the tasks finish; exit with the first failed task's exit status (128+N for "
     "signal N)",
     "ID", "task ids"},
    {"log", "Print a task's log lines and captured output", "ID", "task id"},
    {"retry", "Run a failed task again", "ID", "task ids"},
    {"progress", "From inside a running task: record progress DONE of TOTAL with a message",
     "WORDS", "DONE and TOTAL (integers), then an optional message"},
    {"log-line", "From inside a running task: append a line to the task's log", "MSG",
     "the line (several words are joined with spaces)"},
    {"events", "Print the durable event log (JSON Lines with --json)", nullptr, nullptr},
    {"search", "Full-text search over command, args, userdata, log lines and errors", "QUERY",
     "words to look for"},
    {"help", "Show help for taskqueuectl or one of its verbs", "VERB", "a verb"},
};

bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--json") == 0) return true;
  }
  return false;
}

// The first word that is neither an option nor an option's value, when it is
// not a verb: CLI11 would only say that it was "not expected".
std::optional<std::string> UnknownVerb(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") return std::nullopt;
    if (word == "--state-dir" || word == "--name" || word == "--plugin-dir" ||
        word == "--busy-timeout") {
      ++i;
      continue;
    }
    if (!word.empty() && word[0] == '-') continue;
    for (const auto& verb : kVerbs) {
      if (word == verb.name) return std::nullopt;
    }
    return word;
  }
  return std::nullopt;
}

void AddEnqueueOptions(CLI::App* sub, EnqueueFlags* flags) {
  sub->add_option("--priority", flags->priority,
                  "integer (lower runs first) or low|normal|medium|high|critical");
  sub->add_option("--attempts", flags->attempts, "total runs allowed (default 1)");
  sub->add_option("--backoff", flags->backoff,
                  "delay between attempts: fixed:SECS or exponential:SECS");
  sub->add_option("--timeout", flags->timeout, "seconds a run may take");
  sub->add_option("--userdata", flags->userdata, "a flat JSON object kept with the task");
}

// The verb a plain call names, found without CLI11: the first word that is
// neither an option nor a global option's value, when it is a verb other
// than help. nullptr when there is none, or when the call asks for help or
// the version (those need the whole parser).
const char* VerbToBuildAlone(int argc, char** argv) {
  const char* verb = nullptr;
  for (int i = 1; i < argc; ++i) {
    const char* word = argv[i];
    if (std::strcmp(word, "-h") == 0 || std::strcmp(word, "--help") == 0 ||
        std::strcmp(word, "--version") == 0) {
      return nullptr;
    }
    if (verb != nullptr) continue;
    if (std::strcmp(word, "--") == 0) return nullptr;
    if (std::strcmp(word, "--state-dir") == 0 || std::strcmp(word, "--name") == 0 ||
        std::strcmp(word, "--plugin-dir") == 0 || std::strcmp(word, "--busy-timeout") == 0) {
      ++i;
      continue;
    }
    if (word[0] == '-') continue;
    for (const auto& spec : kVerbs) {
      if (std::strcmp(word, spec.name) == 0) verb = spec.name;
    }
    if (verb == nullptr || std::strcmp(verb, "help") == 0) return nullptr;
  }
  return verb;
}

// Parses argv with the verbs of kVerbs, or only with `only_verb` when it is
// not null. In that case any parse error sets *retry (and prints nothing):
// the caller parses again with every verb, so that errors read exactly as
// they always did.
std::variant<Invocation, int> Parse(int argc, char** argv, const char* only_verb, bool* retry) {
  Invocation inv;
  CLI::App app(kDescription, "taskqueuectl");
  app.footer(kFooter);
  app.set_version_flag("--version", TASKQUEUE_VERSION);
  // Global options are accepted after the verb too (taskqueuectl list --json).
  app.fallthrough();
  app.require_subcommand(0, 1);

  app.add_option("--state-dir", inv.global.state_dir,
                 "directory holding the queue's files (default: $TASKQUEUE_STATE_DIR, "
                 "$XDG_STATE_HOME/taskqueue, ~/.local/state/taskqueue)");
  app.add_option("--name", inv.global.name, "queue name (default: $TASKQUEUE_NAME or 'tasks')");
  app.add_option("--plugin-dir", inv.global.plugin_dirs,
                 "load plugins from DIR (repeatable; searched before $TASKQUEUE_PLUGIN_PATH and "
                 "the installed default)")
      ->allow_extra_args(false);
  app.add_flag("--json", inv.global.json, "print one JSON document (errors as JSON on stderr)");
  app.add_flag("--recover", inv.global.recover,
               "move a corrupt state file aside to <file>.broken and start empty");

  app.add_option("--busy-timeout", inv.global.busy_timeout,
                 "milliseconds to wait for another process's lock before exiting 75 "
                 "(default 10000)")
      ->check(WholeNumberAtLeast(0));

  std::vector<std::string> help_words;
  for (const auto& verb : kVerbs) {
    // A verb is only ever looked up by its name (CLI11 checks the others'
    // names only where the verb's own words could not go, and that is an
    // error, parsed again with every verb), so a call that names one verb
    // needs no other: building all of them is most of the parser's cost.
    if (only_verb != nullptr && std::strcmp(verb.name, only_verb) != 0) continue;
    CLI::App* sub = app.add_subcommand(verb.name, verb.help);
    std::vector<std::string>* target = &inv.args;
    if (std::strcmp(verb.name, "help") == 0) target = &help_words;
    if (verb.positional != nullptr) sub->add_option(verb.positional, *target, verb.positional_help);
    const std::string name = verb.name;
    if (name == "queue" || name == "schedule") AddEnqueueOptions(sub, &inv.enqueue);
    if (name == "events") {
      sub->add_flag("--follow,-f", inv.follow, "keep printing new events as they happen");
      sub->add_option("--since", inv.since, "only events after this event id");
    }
    if (name == "search") {
      sub->add_option("--state", inv.state, "only tasks in this state");
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (only_verb != nullptr) {
      *retry = true;
      return kExitUsage;
    }
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e);  // --help, --version: printed to stdout
      return kExitOk;
    }
    std::string message = e.what();
    if (message.empty()) message = e.get_name();
    if (app.get_subcommands().empty()) {
      if (auto unknown = UnknownVerb(argc, argv)) {
        message = "Unknown verb '" + *unknown + "'; run 'taskqueuectl --help' for the list.";
      }
    }
    PrintUsageError(WantsJson(argc, argv), message);
    return kExitUsage;
  }

  for (CLI::App* sub : app.get_subcommands()) inv.verb = sub->get_name();
  if (only_verb != nullptr && inv.verb != only_verb) {
    *retry = true;
    return kExitUsage;
  }
  if (inv.verb.empty()) {
    if (inv.global.json) {
      PrintUsageError(true, "No command given; run 'taskqueuectl --help' for the list.");
    } else {
      std::cerr << app.help();
    }
    return kExitUsage;
  }
  if (inv.verb == "help") {
    if (help_words.empty()) {
      std::cout << app.help();
      return kExitOk;
    }
    if (help_words.size() > 1) {
      PrintUsageError(inv.global.json, "help takes one verb");
      return kExitUsage;
    }
    CLI::App* sub = nullptr;
    try {
      sub = app.get_subcommand(help_words[0]);
    } catch (const CLI::OptionNotFound&) {
      PrintUsageError(inv.global.json, "Unknown verb '" + help_words[0] +
                                           "'; run 'taskqueuectl --help' for the list.");
      return kExitUsage;
    }
    std::cout << sub->help();
    return kExitOk;
  }
  return inv;
}

}  // namespace

std::variant<Invocation, int> ParseCommandLine(int argc, char** argv) {
  if (const char* verb = VerbToBuildAlone(argc, argv)) {
    bool retry = false;
    auto parsed = Parse(argc, argv, verb, &retry);
    if (!retry) return parsed;
  }
  return Parse(argc, argv, nullptr, nullptr);
}

}  // namespace taskqueue::cli
