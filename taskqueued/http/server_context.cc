// Shared response helpers of the HTTP server (see server_context.h).
#include "server_context.h"

#include <cerrno>
#include <cstdlib>

namespace taskqueue::http {

void SendJson(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotSupported:
      return 400;
    case Status::Code::kBusy:
      return 503;
    case Status::Code::kAborted:
      return 409;
    case Status::Code::kConfig:
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
      return 500;
  }
  return 500;
}

nlohmann::json ErrorObject(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

void SendV1Error(httplib::Response& res, int http_status, const std::string& code,
                 const std::string& message) {
  SendJson(res, http_status, ErrorObject(code, message));
}

void SendV1Error(httplib::Response& res, const Status& status) {
  if (status.IsBusy()) res.set_header("Retry-After", "1");
  SendV1Error(res, HttpStatusFor(status), status.CodeName(), status.message());
}

std::optional<int64_t> ParseIdSegment(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t v = std::strtoll(text.c_str(), nullptr, 10);
  if (v <= 0) return std::nullopt;
  return v;
}

Result<std::optional<Task>> FindAnyTask(ServerContext& ctx, int64_t id) {
  Result<std::optional<Task>> found = ctx.queue->FindTask(id);
  if (!found.ok() || found->has_value()) return found;
  return ctx.scheduler->IsTaskScheduled(id);
}

}  // namespace taskqueue::http
