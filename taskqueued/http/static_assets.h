// The dashboard's files (taskqueued/http/assets), compiled into the binary
// by embed_assets.cmake. Only these names can be served: there is no file
// system lookup, hence no path traversal.
//
// Thread-safety: immutable data.
#ifndef TASKQUEUED_HTTP_STATIC_ASSETS_H_
#define TASKQUEUED_HTTP_STATIC_ASSETS_H_

#include <httplib.h>

#include <cstddef>
#include <string_view>

namespace taskqueue::http {

struct EmbeddedAsset {
  const char* name;  // file name, e.g. "app.js"
  const char* mime;
  const unsigned char* data;
  size_t size;
};

// Every embedded asset (defined in the generated source).
const EmbeddedAsset* EmbeddedAssets(size_t* count);
// The asset called `name`, or null.
const EmbeddedAsset* FindAsset(std::string_view name);

// Registers GET / (index.html) and GET /assets/<name>.
void RegisterStaticRoutes(httplib::Server& server);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_STATIC_ASSETS_H_
