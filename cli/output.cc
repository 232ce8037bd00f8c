#include "output.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

namespace taskqueue::cli {
namespace {

std::string JsonLine(const char* kind, const std::string& code, const std::string& message) {
  nlohmann::json j;
  j[kind] = {{"code", code}, {"message", message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Display width of UTF-8 text: counts code points, not bytes.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

const char* Sgr(Color color) {
  switch (color) {
    case Color::kRed:
      return "\033[31m";
    case Color::kGreen:
      return "\033[32m";
    case Color::kYellow:
      return "\033[33m";
    case Color::kBlue:
      return "\033[34m";
    case Color::kCyan:
      return "\033[36m";
    case Color::kDim:
      return "\033[2m";
    case Color::kNone:
      break;
  }
  return "";
}

}  // namespace

void PrintJson(const nlohmann::json& doc, bool line) {
  std::cout << doc.dump(line ? -1 : 2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
}

void PrintError(bool json, const std::string& code, const std::string& message) {
  std::cout.flush();
  if (json) {
    std::cerr << JsonLine("error", code, message) << "\n";
  } else {
    std::cerr << "taskqueuectl: " << message << "\n";
  }
}

void PrintUsageError(bool json, const std::string& message) {
  std::cout.flush();
  if (json) {
    std::cerr << JsonLine("error", "usage", message) << "\n";
  } else {
    std::cerr << "taskqueuectl: " << message << "\nRun 'taskqueuectl --help' for usage.\n";
  }
}

void PrintWarning(bool json, const std::string& code, const std::string& message) {
  if (json) {
    std::cerr << JsonLine("warning", code, message) << "\n";
  } else {
    std::cerr << "taskqueuectl: warning: " << message << "\n";
  }
}

bool UseColor() {
  static const bool use = [] {
    if (!isatty(STDOUT_FILENO)) return false;
    const char* no_color = getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0') return false;
    const char* term = getenv("TERM");
    return !(term != nullptr && strcmp(term, "dumb") == 0);
  }();
  return use;
}

std::string Paint(const std::string& text, Color color) {
  if (color == Color::kNone || !UseColor()) return text;
  return std::string(Sgr(color)) + text + "\033[0m";
}

int64_t MillisToSeconds(int64_t millis) {
  return millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
}

std::string FormatLocalTime(std::optional<int64_t> millis) {
  if (!millis) return "-";
  time_t secs = static_cast<time_t>(MillisToSeconds(*millis));
  struct tm tm;
  if (localtime_r(&secs, &tm) == nullptr) return "-";
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells, std::vector<Color> colors) {
  cells.resize(header_.size());
  colors.resize(header_.size(), Color::kNone);
  rows_.push_back({std::move(cells), std::move(colors)});
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) widths[c] = Width(header_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.cells.size(); ++c) {
      widths[c] = std::max(widths[c], Width(row.cells[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& cells, const std::vector<Color>* colors) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool last = c + 1 == cells.size();
      line += colors ? Paint(cells[c], (*colors)[c]) : cells[c];
      if (!last) line += std::string(widths[c] - Width(cells[c]) + 2, ' ');
    }
    out << line << "\n";
  };
  std::vector<Color> bold(header_.size(), Color::kDim);
  print_row(header_, UseColor() ? &bold : nullptr);
  for (const auto& row : rows_) print_row(row.cells, &row.colors);
}

}  // namespace taskqueue::cli
