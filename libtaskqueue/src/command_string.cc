// Command-string parsing and quoting (SPEC §3).
//
// Grammar, chosen so that every input the Perl original parses sensibly
// parses the same way here, and everything it mangles is refused:
//   text     := command (ws+ argstring)?
//   command  := one bare word (no quote characters)
//   argstring:= ws* (word (ws+ word)*)? ws*
//   word     := bare | quoted
//   bare     := non-whitespace characters, no ' or " (a backslash is literal)
//   quoted   := Q chars Q followed by whitespace or the end, Q being ' or "
// Inside a quoted word a run of backslashes followed by ' or " is halved and,
// if the run was odd, the quote is a literal character (\' and \" stand for
// the quote, as in the original); backslashes followed by anything else are
// literal. The original kept "\\'" ambiguous (its regex backtracked); here it
// is one backslash, which is what lets QuoteArg() quote every possible arg.
#include <string>
#include <string_view>

#include "taskqueue/task.h"

namespace taskqueue {
namespace {

// Perl's \s in its ASCII meaning, which the original split on.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsQuote(char c) { return c == '\'' || c == '"'; }

std::string Pos(size_t index) { return std::to_string(index + 1); }

// The index of the first byte of `text` that does not belong to a
// well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or npos. Commands are stored and reported as
// JSON, which must be UTF-8.
size_t FirstInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      if (b == 0xE0) low = 0xA0;
      if (b == 0xED) high = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      if (b == 0xF0) low = 0x90;
      if (b == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

// Parses the quoted word that opens at text[start]. On success appends the
// arg to *out and returns the index just past the closing quote.
Result<size_t> ParseQuoted(std::string_view text, size_t start, std::string* out) {
  const char quote = text[start];
  std::string arg;
  size_t i = start + 1;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\') {
      size_t run_end = i;
      while (run_end < text.size() && text[run_end] == '\\') ++run_end;
      size_t run = run_end - i;
      if (run_end < text.size() && IsQuote(text[run_end])) {
        arg.append(run / 2, '\\');
        if (run % 2 == 1) {
          arg.push_back(text[run_end]);  // an escaped quote
          i = run_end + 1;
        } else {
          i = run_end;  // the quote is live: it may close the word
        }
      } else {
        arg.append(run, '\\');
        i = run_end;
      }
      continue;
    }
    if (c == quote) {
      size_t next = i + 1;
      if (next < text.size() && !IsSpace(text[next])) {
        return Status::InvalidArgument("unexpected character after the closing quote at position " +
                                       Pos(next) + " (a quoted arg must be followed by a space)");
      }
      *out = std::move(arg);
      return next;
    }
    arg.push_back(c);
    ++i;
  }
  return Status::InvalidArgument(std::string("unterminated ") +
                                 (quote == '\'' ? "single" : "double") +
                                 " quote starting at position " + Pos(start));
}

}  // namespace

Result<ParsedCommand> ParseCommandString(std::string_view text) {
  size_t first_non_space = 0;
  while (first_non_space < text.size() && IsSpace(text[first_non_space])) ++first_non_space;
  if (first_non_space == text.size()) {
    return Status::InvalidArgument("Cannot queue an empty command.");
  }
  if (first_non_space != 0) {
    return Status::InvalidArgument(
        "whitespace before the command at position 1 (the command must come first)");
  }
  // Valid UTF-8, but no program's argument can hold it: exec would cut the
  // argument there, and the task would run something else than it says.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::InvalidArgument("a NUL byte at position " + Pos(nul) +
                                   " (no program argument can hold one)");
  }
  if (const size_t bad = FirstInvalidUtf8(text); bad != std::string_view::npos) {
    return Status::InvalidArgument("a byte that is not UTF-8 text at position " + Pos(bad));
  }

  ParsedCommand parsed;
  size_t i = 0;
  while (i < text.size() && !IsSpace(text[i])) {
    if (IsQuote(text[i])) {
      return Status::InvalidArgument("quote character in the command name at position " + Pos(i));
    }
    ++i;
  }
  parsed.command = std::string(text.substr(0, i));
  // As Perl's split(/\s+/, $cmd, 2): the argstring starts after the run of
  // whitespace that ends the command, and keeps everything else verbatim.
  while (i < text.size() && IsSpace(text[i])) ++i;
  parsed.argstring = std::string(text.substr(i));

  while (i < text.size()) {
    if (IsSpace(text[i])) {
      ++i;
      continue;
    }
    if (IsQuote(text[i])) {
      std::string arg;
      Result<size_t> end = ParseQuoted(text, i, &arg);
      if (!end.ok()) return end.status();
      parsed.args.push_back(std::move(arg));
      i = *end;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) {
      if (IsQuote(text[i])) {
        return Status::InvalidArgument("quote opening inside a word at position " + Pos(i) +
                                       " (quote the whole arg instead)");
      }
      ++i;
    }
    parsed.args.emplace_back(text.substr(start, i - start));
  }
  return parsed;
}

std::string QuoteArg(std::string_view arg) {
  bool bare = !arg.empty();
  for (char c : arg) {
    if (IsSpace(c) || IsQuote(c)) {
      bare = false;
      break;
    }
  }
  if (bare) return std::string(arg);

  std::string out;
  out.reserve(arg.size() + 2 + arg.size() / 8);
  out.push_back('\'');
  size_t i = 0;
  while (i < arg.size()) {
    if (arg[i] == '\\') {
      size_t run_end = i;
      while (run_end < arg.size() && arg[run_end] == '\\') ++run_end;
      size_t run = run_end - i;
      // Backslashes before a quote (or before the closing quote) are halved by
      // the parser, so double them; elsewhere they stay literal.
      bool before_quote = run_end == arg.size() || IsQuote(arg[run_end]);
      out.append(before_quote ? run * 2 : run, '\\');
      i = run_end;
      continue;
    }
    if (IsQuote(arg[i])) out.push_back('\\');
    out.push_back(arg[i]);
    ++i;
  }
  out.push_back('\'');
  return out;
}

}  // namespace taskqueue
