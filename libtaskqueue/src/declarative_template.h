// ArgTemplate: one string of a declarative processor's "exec" or
// "deferral_tags" with placeholders over a task: {args} (every arg, as
// separate argv entries; only as a whole exec element), {N} (arg N, from 0),
// {command}, and {{ / }} for literal braces.
//
// Thread-safety: immutable after Parse(); safe to share.
#ifndef TASKQUEUE_SRC_DECLARATIVE_TEMPLATE_H_
#define TASKQUEUE_SRC_DECLARATIVE_TEMPLATE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue {

class ArgTemplate {
 public:
  // Parses `text`. InvalidArgument (message without the field name, which
  // the caller adds) for an unknown placeholder, an unclosed '{', a lone '}'
  // or {args} mixed with other text.
  static Result<ArgTemplate> Parse(std::string_view text);

  // True when the template is exactly "{args}".
  bool is_all_args() const { return all_args_; }
  // True when it uses {args} or any {N}: it depends on what the queuer gave.
  bool uses_args() const { return all_args_ || max_index_.has_value(); }
  // The largest N used by a {N}, if any.
  std::optional<size_t> max_index() const { return max_index_; }

  // Appends the expansion to *out: one entry per arg for {args}, else one
  // entry. A missing arg expands to "" (IsValidArgs keeps that from
  // happening for tasks it accepted).
  void ExpandInto(const Task& task, std::vector<std::string>* out) const;
  // The single-string expansion (REQUIRES: !is_all_args()).
  std::string Expand(const Task& task) const;

 private:
  struct Part {
    enum class Kind { kLiteral, kArg, kCommand };
    Kind kind;
    std::string literal;
    size_t index = 0;
  };
  std::vector<Part> parts_;
  bool all_args_ = false;
  std::optional<size_t> max_index_;
};

}  // namespace taskqueue

#endif  // TASKQUEUE_SRC_DECLARATIVE_TEMPLATE_H_
