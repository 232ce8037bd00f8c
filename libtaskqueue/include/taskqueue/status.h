// Status and Result<T>: how every libtaskqueue call reports success or
// failure. No exception crosses the library boundary; errors come back as a
// Status with a closed code and a message meant for a person.
//
// Thread-safety: Status and Result are values; distinct objects may be used
// from different threads without synchronization.
#ifndef TASKQUEUE_STATUS_H_
#define TASKQUEUE_STATUS_H_

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "taskqueue/export.h"

namespace taskqueue {

class TASKQUEUE_EXPORT [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // the task, id or file named does not exist
    kInvalidArgument,  // malformed command, bad option value, bad id
    kBusy,             // locked by another process; retry later
    kIOError,          // the file system or SQLite failed
    kCorruption,       // a state file is not ours or is damaged
    kNotSupported,     // no processor for a command, unsupported request
    kAborted,          // stopped on purpose (shutdown, cancelled)
    kConfig,           // bad configuration or plugin file
  };

  Status() = default;  // OK
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status Busy(std::string msg) { return {Code::kBusy, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status NotSupported(std::string msg) {
    return {Code::kNotSupported, std::move(msg)};
  }
  static Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }
  static Status Config(std::string msg) { return {Code::kConfig, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsConfig() const { return code_ == Code::kConfig; }
  Code code() const { return code_; }

  // The message alone, e.g. "No known processor for 'xyzzy'.".
  const std::string& message() const { return message_; }
  // "OK", or the code's name and the message: "Not found: task 7".
  std::string ToString() const;
  // A short machine-readable code name: "ok", "not_found", ...
  const char* CodeName() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // OK when ok(), the error otherwise.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace taskqueue

// Propagates a non-OK Status from an expression returning Status.
#define TQ_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::taskqueue::Status tq_status_ = (expr);     \
    if (!tq_status_.ok()) return tq_status_;     \
  } while (0)

#endif  // TASKQUEUE_STATUS_H_
