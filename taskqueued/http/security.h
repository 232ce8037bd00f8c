// Security: the checks every request passes before it reaches a route:
// the bearer token (full or read-only), the same-origin rule for mutations
// (no CSRF), the Host check that stops DNS rebinding when no token is set,
// and a per-client rate limit.
//
// Thread-safety: Check() may be called from many threads at once; the rate
// limiter has its own lock.
#ifndef TASKQUEUED_HTTP_SECURITY_H_
#define TASKQUEUED_HTTP_SECURITY_H_

#include <httplib.h>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "http_server.h"

namespace taskqueue::http {

// A token bucket per client address.
class RateLimiter {
 public:
  RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}
  // True when `client` may make one more request now.
  bool Allow(const std::string& client);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  const double per_second_;
  const double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

enum class Role { kNone, kReadOnly, kFull };

class SecurityPolicy {
 public:
  explicit SecurityPolicy(const HttpOptions& options);

  // Checks `req`. When it must be refused, fills `res` (401, 403, 405 or
  // 429 with a JSON error) and returns false.
  bool Check(const httplib::Request& req, httplib::Response& res);

  // The role `req`'s credentials give (kFull when no token is configured).
  Role RoleOf(const httplib::Request& req) const;

 private:
  bool SameOrigin(const httplib::Request& req) const;
  bool HostAllowed(const httplib::Request& req) const;

  HttpOptions options_;
  RateLimiter limiter_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackAddress(const std::string& address);
// Compares without leaking where the first difference is.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_SECURITY_H_
