#include "http_listen.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace taskqueue::daemon {

Result<HttpListen> ParseListenAddress(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--http '" + text + "': " + why +
                                   " (expected ADDR:PORT, [IPV6]:PORT or :PORT)");
  };
  HttpListen listen;
  std::string port_text;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return bad("missing ']'");
    listen.address = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("missing ':PORT'");
    port_text = text.substr(close + 2);
    in6_addr a6;
    if (inet_pton(AF_INET6, listen.address.c_str(), &a6) != 1) {
      return bad("'" + listen.address + "' is not an IPv6 address");
    }
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return bad("missing ':PORT'");
    std::string address = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (!address.empty()) listen.address = address;
    in_addr a4;
    if (listen.address != "localhost" && inet_pton(AF_INET, listen.address.c_str(), &a4) != 1) {
      return bad("'" + listen.address + "' is not an IPv4 address (write IPv6 in brackets)");
    }
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return bad("'" + port_text + "' is not a port number");
  }
  listen.port = std::stoi(port_text);
  if (listen.port > 65535) return bad("port " + port_text + " is above 65535");
  return listen;
}

bool IsLoopbackAddress(const std::string& address) {
  if (address == "localhost" || address == "::1") return true;
  in_addr a4;
  if (inet_pton(AF_INET, address.c_str(), &a4) == 1) {
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  return false;
}

Result<std::string> ReadTokenFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return Status::Config("Cannot read token file '" + file.string() +
                          "': " + std::strerror(errno));
  }
  std::string line;
  std::getline(in, line);
  const auto first = line.find_first_not_of(" \t\r\n");
  const auto last = line.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return Status::Config("Token file '" + file.string() + "' holds no token");
  }
  return line.substr(first, last - first + 1);
}

}  // namespace taskqueue::daemon
