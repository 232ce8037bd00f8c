// ArgPattern: a compiled "arg_pattern" of a declarative processor, matched
// against a whole arg. Backed by PCRE2 (Perl-compatible syntax, a superset
// of what users write for ECMAScript: \w, \d, classes, groups, anchors)
// rather than std::regex, whose libstdc++ matcher recurses once per
// character and crashes the process on args of a few kilobytes. PCRE2 keeps
// its backtracking state on the heap, under a match limit.
//
// Thread-safety: immutable after Compile(); Matches() may be called from
// several threads at once.
#ifndef TASKQUEUE_SRC_ARG_PATTERN_H_
#define TASKQUEUE_SRC_ARG_PATTERN_H_

#include <memory>
#include <string>
#include <string_view>

#include "taskqueue/status.h"

namespace taskqueue {

class ArgPattern {
 public:
  // InvalidArgument with PCRE2's message and the offset of the error.
  static Result<std::shared_ptr<const ArgPattern>> Compile(const std::string& pattern);
  ~ArgPattern();
  ArgPattern(const ArgPattern&) = delete;
  ArgPattern& operator=(const ArgPattern&) = delete;

  // True when the whole of `text` matches. A match that exceeds PCRE2's
  // limits (a catastrophically backtracking pattern) counts as no match.
  bool Matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  ArgPattern(std::string pattern, void* code) : pattern_(std::move(pattern)), code_(code) {}
  std::string pattern_;
  void* code_;  // pcre2_code*, kept opaque so pcre2.h stays out of headers
};

}  // namespace taskqueue

#endif  // TASKQUEUE_SRC_ARG_PATTERN_H_
