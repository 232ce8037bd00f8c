// Kue's JSON API (lib/http/routes/json.js of Kue 0.11), route for route:
// same paths, methods, bodies and status codes. Errors are HTTP 200 with
// {"error": "..."} except on POST /job, as in Kue.
//
// Thread-safety: handlers run on the server's threads and share only the
// ServerContext.
#ifndef TASKQUEUED_HTTP_KUE_ROUTES_H_
#define TASKQUEUED_HTTP_KUE_ROUTES_H_

#include <httplib.h>

#include "server_context.h"

namespace taskqueue::http {

// Registers /stats, /job/search, /job/types, /job/:id, /job/:id/log,
// /jobs/..., PUT /job/:id/state/:state, PUT /job/:id/priority/:priority,
// DELETE /job/:id, POST /job and GET /inactive/:id.
void RegisterKueRoutes(httplib::Server& server, ServerContext& ctx);

// Kue's provides('json'): true unless the client's Accept header excludes
// JSON (no header accepts everything).
bool AcceptsJson(const httplib::Request& req);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_KUE_ROUTES_H_
