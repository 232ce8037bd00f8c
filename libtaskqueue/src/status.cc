// Status rendering: the code names are part of the CLI's and the HTTP API's
// JSON error objects ({"error":{"code":"not_found",...}}), so they never change.
#include "taskqueue/status.h"

namespace taskqueue {
namespace {

// The human-readable prefix used by ToString().
const char* CodeTitle(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kNotFound:
      return "Not found";
    case Status::Code::kInvalidArgument:
      return "Invalid argument";
    case Status::Code::kBusy:
      return "Busy";
    case Status::Code::kIOError:
      return "IO error";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kNotSupported:
      return "Not supported";
    case Status::Code::kAborted:
      return "Aborted";
    case Status::Code::kConfig:
      return "Configuration error";
  }
  return "Unknown error";
}

}  // namespace

const char* Status::CodeName() const {
  switch (code_) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not_found";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kBusy:
      return "busy";
    case Code::kIOError:
      return "io_error";
    case Code::kCorruption:
      return "corruption";
    case Code::kNotSupported:
      return "not_supported";
    case Code::kAborted:
      return "aborted";
    case Code::kConfig:
      return "config";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out = CodeTitle(code_);
  out += ": ";
  out += message_;
  return out;
}

}  // namespace taskqueue
