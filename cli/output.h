// Output helpers for taskqueuectl: errors and warnings (plain or JSON on
// stderr), colour decisions, time formatting and aligned tables.
//
// Thread-safety: the program is single-threaded; these write to the
// process's stdout and stderr without locking.
#ifndef TASKQUEUE_CLI_OUTPUT_H_
#define TASKQUEUE_CLI_OUTPUT_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace taskqueue::cli {

// Prints one JSON document to stdout (indented), or one line (compact) when
// `line` is set, as for JSON Lines.
void PrintJson(const nlohmann::json& doc, bool line = false);

// Prints an error: "taskqueuectl: <message>" or, with json,
// {"error":{"code":"<code>","message":"<message>"}} on one line of stderr.
void PrintError(bool json, const std::string& code, const std::string& message);
// A usage error (code "usage"), with a hint to --help in plain mode.
void PrintUsageError(bool json, const std::string& message);
// A warning that does not fail the call (a plugin that did not load):
// "taskqueuectl: warning: ..." or {"warning":{...}}.
void PrintWarning(bool json, const std::string& code, const std::string& message);

// True when stdout is a terminal, NO_COLOR is unset or empty and TERM is
// not "dumb". Decided once per process.
bool UseColor();

// SGR colour codes used for task states.
enum class Color { kNone, kRed, kGreen, kYellow, kBlue, kCyan, kDim };
// `text` wrapped in the colour's escape codes when UseColor(), else as is.
std::string Paint(const std::string& text, Color color);

// Local time "YYYY-MM-DD HH:MM:SS" for milliseconds since the epoch, or "-".
std::string FormatLocalTime(std::optional<int64_t> millis);
// Integer seconds for JSON: floor(millis / 1000).
int64_t MillisToSeconds(int64_t millis);

// A table printed with each column as wide as its widest cell. Colours are
// applied after padding so escape codes never break the alignment.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void AddRow(std::vector<std::string> cells, std::vector<Color> colors = {});
  bool empty() const { return rows_.empty(); }
  // The last column is never padded (it is usually the command).
  void Print(std::ostream& out) const;

 private:
  struct Row {
    std::vector<std::string> cells;
    std::vector<Color> colors;
  };
  std::vector<std::string> header_;
  std::vector<Row> rows_;
};

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_OUTPUT_H_
