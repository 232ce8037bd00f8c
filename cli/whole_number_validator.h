// A CLI11 check for options that take a whole number, shared by
// taskqueuectl and taskqueued. Header-only: both programs include CLI11
// themselves, and the library does not.
//
// Thread-safety: the validator holds no state.
#ifndef TASKQUEUE_CLI_WHOLE_NUMBER_VALIDATOR_H_
#define TASKQUEUE_CLI_WHOLE_NUMBER_VALIDATOR_H_

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <string>

namespace taskqueue::cli {

// A whole number of at least `min`. A bad value fails the parse (exit 2)
// with "<option>: expected a whole number of at least <min>, got '<value>'";
// CLI11's PositiveNumber would say "Value 0 not in range 0.000000 to
// 1.79769e+308".
inline CLI::Validator WholeNumberAtLeast(long long min) {
  return CLI::Validator(
      [min](std::string& input) -> std::string {
        errno = 0;
        char* end = nullptr;
        const long long value = std::strtoll(input.c_str(), &end, 10);
        if (input.empty() || *end != '\0' || errno == ERANGE || value < min) {
          return "expected a whole number of at least " + std::to_string(min) + ", got '" + input +
                 "'";
        }
        return std::string();
      },
      "N");
}

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_WHOLE_NUMBER_VALIDATOR_H_
