#include "declarative_template.h"

#include <algorithm>

namespace taskqueue {
namespace {

// Arg indexes beyond this are refused: no command line has that many args,
// and it keeps the number parse free of overflow.
constexpr size_t kMaxArgIndex = 9999;

}  // namespace

Result<ArgTemplate> ArgTemplate::Parse(std::string_view text) {
  ArgTemplate t;
  if (text == "{args}") {
    t.all_args_ = true;
    return t;
  }
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) {
      t.parts_.push_back(Part{Part::Kind::kLiteral, std::move(literal), 0});
      literal.clear();
    }
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      i += 2;
      continue;
    }
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal.push_back('}');
        i += 2;
        continue;
      }
      return Status::InvalidArgument("lone '}' at position " + std::to_string(i + 1) +
                                     " (write }} for a literal brace)");
    }
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unclosed '{' at position " + std::to_string(i + 1) +
                                     " (write {{ for a literal brace)");
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    if (name == "args") {
      return Status::InvalidArgument(
          "{args} must be a whole exec element on its own (it expands to several argv entries)");
    }
    flush();
    if (name == "command") {
      t.parts_.push_back(Part{Part::Kind::kCommand, "", 0});
    } else if (!name.empty() && name.size() <= 4 &&
               std::all_of(name.begin(), name.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      size_t index = std::stoul(std::string(name));
      if (index > kMaxArgIndex) {
        return Status::InvalidArgument("arg index {" + std::string(name) + "} is too large");
      }
      t.parts_.push_back(Part{Part::Kind::kArg, "", index});
      t.max_index_ = std::max(t.max_index_.value_or(0), index);
    } else {
      return Status::InvalidArgument("unknown placeholder {" + std::string(name) +
                                     "} (known: {args}, {command}, {0}, {1}, ...)");
    }
    i = close + 1;
  }
  flush();
  return t;
}

void ArgTemplate::ExpandInto(const Task& task, std::vector<std::string>* out) const {
  if (all_args_) {
    out->insert(out->end(), task.args.begin(), task.args.end());
    return;
  }
  out->push_back(Expand(task));
}

std::string ArgTemplate::Expand(const Task& task) const {
  std::string out;
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Part::Kind::kLiteral:
        out += part.literal;
        break;
      case Part::Kind::kCommand:
        out += task.command;
        break;
      case Part::Kind::kArg:
        if (part.index < task.args.size()) out += task.args[part.index];
        break;
    }
  }
  return out;
}

}  // namespace taskqueue
