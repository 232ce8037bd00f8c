// Token, same-origin, Host and rate-limit checks (see security.h).
#include "security.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "server_context.h"

namespace taskqueue::http {
namespace {

bool IsApiPath(const std::string& path) {
  // Only the static dashboard files are public: they hold no queue data, and
  // the page must load to ask for a token. (Kue served its UI at /active,
  // /inactive, ... too.)
  static const char* const kPages[] = {"/",         "/index.html", "/favicon.ico", "/active",
                                       "/inactive", "/failed",     "/complete",    "/delayed"};
  for (const char* page : kPages) {
    if (path == page) return false;
  }
  return path.rfind("/assets/", 0) != 0;
}

bool IsReadMethod(const std::string& method) { return method == "GET" || method == "HEAD"; }

// Kue's GET /inactive/:id restarts a job: a GET that changes state, so it
// gets the checks of a mutation (same origin, full token).
bool IsMutation(const httplib::Request& req) {
  return !IsReadMethod(req.method) || req.path.rfind("/inactive/", 0) == 0;
}

// The host part of a Host header or an origin's authority, lower-cased,
// without the port.
std::string HostName(std::string authority) {
  std::transform(authority.begin(), authority.end(), authority.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    return close == std::string::npos ? authority : authority.substr(1, close - 1);
  }
  size_t colon = authority.rfind(':');
  return colon == std::string::npos ? authority : authority.substr(0, colon);
}

}  // namespace

bool IsLoopbackAddress(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0 ||
         address == "::ffff:127.0.0.1";
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::string& longer = a.size() >= b.size() ? a : b;
  for (size_t i = 0; i < longer.size(); ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

bool RateLimiter::Allow(const std::string& client) {
  if (per_second_ <= 0) return true;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  if (buckets_.size() > 10000) {
    // Forget idle clients so that many addresses cannot grow the map forever.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      it = (now - it->second.last > std::chrono::minutes(1)) ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.last = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

SecurityPolicy::SecurityPolicy(const HttpOptions& options)
    : options_(options), limiter_(options.rate_limit_per_second, options.rate_limit_burst) {}

Role SecurityPolicy::RoleOf(const httplib::Request& req) const {
  if (options_.token.empty() && options_.read_only_token.empty()) return Role::kFull;
  const std::string auth = req.get_header_value("Authorization");
  // "Bearer <token>": the scheme's name is case-insensitive (RFC 9110
  // §11.1), and one or more spaces may follow it.
  static const std::string kScheme = "bearer";
  if (auth.size() <= kScheme.size() || auth[kScheme.size()] != ' ' ||
      !std::equal(kScheme.begin(), kScheme.end(), auth.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return Role::kNone;
  }
  const size_t token_start = auth.find_first_not_of(' ', kScheme.size());
  if (token_start == std::string::npos) return Role::kNone;
  std::string presented = auth.substr(token_start);
  if (!options_.token.empty() && ConstantTimeEquals(presented, options_.token)) {
    return Role::kFull;
  }
  if (!options_.read_only_token.empty() &&
      ConstantTimeEquals(presented, options_.read_only_token)) {
    return Role::kReadOnly;
  }
  return Role::kNone;
}

bool SecurityPolicy::SameOrigin(const httplib::Request& req) const {
  const std::string host = req.get_header_value("Host");
  if (req.has_header("Origin")) {
    const std::string origin = req.get_header_value("Origin");
    return origin == "http://" + host;
  }
  if (req.has_header("Sec-Fetch-Site")) {
    const std::string site = req.get_header_value("Sec-Fetch-Site");
    return site == "same-origin" || site == "none";
  }
  if (req.has_header("Referer")) {
    const std::string referer = req.get_header_value("Referer");
    const std::string prefix = "http://" + host + "/";
    return referer.compare(0, prefix.size(), prefix) == 0;
  }
  // No browser sent this (browsers send Origin on every cross-origin
  // POST/PUT/DELETE): a script or a Kue client. The token guards it.
  return true;
}

bool SecurityPolicy::HostAllowed(const httplib::Request& req) const {
  // Without a token, a page on another site could reach a loopback server
  // through DNS rebinding, with its own name in Host: accept only names that
  // mean this machine or the bound address.
  if (!options_.token.empty()) return true;
  const std::string host = HostName(req.get_header_value("Host"));
  return host.empty() || IsLoopbackAddress(host) || host == HostName(options_.address) ||
         host == "localhost";
}

bool SecurityPolicy::Check(const httplib::Request& req, httplib::Response& res) {
  const bool loopback = IsLoopbackAddress(req.remote_addr);
  if ((!loopback || options_.rate_limit_loopback) && !limiter_.Allow(req.remote_addr)) {
    res.set_header("Retry-After", "1");
    SendJson(res, 429, ErrorObject("rate_limited", "Too many requests; slow down."));
    return false;
  }
  if (!HostAllowed(req)) {
    SendJson(res, 403,
             ErrorObject("forbidden",
                         "Host '" + req.get_header_value("Host") + "' is not this server's."));
    return false;
  }
  const bool read = !IsMutation(req);
  if (!IsReadMethod(req.method) && req.method != "POST" && req.method != "PUT" &&
      req.method != "DELETE") {
    res.set_header("Allow", "GET, HEAD, POST, PUT, DELETE");
    SendJson(res, 405,
             ErrorObject("method_not_allowed", "Method " + req.method + " is not allowed."));
    return false;
  }
  if (!read && !SameOrigin(req)) {
    SendJson(res, 403,
             ErrorObject("cross_origin",
                         "Cross-origin request refused: Origin "
                         "or Referer does not match Host."));
    return false;
  }
  if (!IsApiPath(req.path)) return true;
  Role role = RoleOf(req);
  if (role == Role::kNone) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"taskqueue\"");
    SendJson(res, 401,
             ErrorObject("unauthorized", req.has_header("Authorization")
                                             ? "Invalid token."
                                             : "A bearer token is required."));
    return false;
  }
  if (role == Role::kReadOnly && !read) {
    SendJson(res, 403, ErrorObject("read_only", "This token may only read."));
    return false;
  }
  return true;
}

}  // namespace taskqueue::http
