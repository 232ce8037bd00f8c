// Parsing the daemon's --http ADDR:PORT and token files, and the rule that
// a non-loopback address needs a token.
//
// Thread-safety: pure functions.
#ifndef TASKQUEUED_HTTP_LISTEN_H_
#define TASKQUEUED_HTTP_LISTEN_H_

#include <filesystem>
#include <string>

#include "taskqueue/status.h"

namespace taskqueue::daemon {

struct HttpListen {
  std::string address = "127.0.0.1";
  int port = 0;                 // 0: any free port (logged once bound)
  std::string token;            // required for a non-loopback address
  std::string read_only_token;  // optional, GET/HEAD only
};

// "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (loopback). The address is not
// resolved: it must be a numeric IPv4/IPv6 address or "localhost".
// InvalidArgument naming what is wrong.
Result<HttpListen> ParseListenAddress(const std::string& text);

// 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackAddress(const std::string& address);

// Reads a token: the file's first line, surrounding whitespace removed.
// Config error naming the file if it cannot be read or holds no token.
Result<std::string> ReadTokenFile(const std::filesystem::path& file);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_HTTP_LISTEN_H_
