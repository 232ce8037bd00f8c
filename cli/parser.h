// Command-line parsing for taskqueuectl: the only part of the program that
// knows about CLI11 (header-only and slow to compile, so it stays in one
// translation unit).
//
// Thread-safety: call from main() only.
#ifndef TASKQUEUE_CLI_PARSER_H_
#define TASKQUEUE_CLI_PARSER_H_

#include <variant>

#include "invocation.h"

namespace taskqueue::cli {

// Parses argv. Returns the Invocation to run, or the exit status to end with
// when parsing already finished the job: 0 after --help or --version (printed
// to stdout), kExitUsage after a usage error (printed to stderr, as JSON when
// --json was given).
std::variant<Invocation, int> ParseCommandLine(int argc, char** argv);

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_PARSER_H_
