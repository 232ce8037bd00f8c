// The versioned API under /api/v1: real status codes (400, 401/403, 404,
// 409, 413, 429, 503), the {"error": {"code", "message"}} error object,
// cursor paging, and the CLI's verbs. The event stream is in sse.h.
//
// Thread-safety: handlers run on the server's threads and share only the
// ServerContext.
#ifndef TASKQUEUED_HTTP_API_V1_ROUTES_H_
#define TASKQUEUED_HTTP_API_V1_ROUTES_H_

#include <httplib.h>

#include "security.h"
#include "server_context.h"

namespace taskqueue::http {

void RegisterApiV1Routes(httplib::Server& server, ServerContext& ctx,
                         const SecurityPolicy& security);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_API_V1_ROUTES_H_
