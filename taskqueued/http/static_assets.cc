// Serving the embedded dashboard files (see static_assets.h).
#include "static_assets.h"

#include <string>

namespace taskqueue::http {
namespace {

void Serve(const EmbeddedAsset& asset, httplib::Response& res) {
  res.set_content(reinterpret_cast<const char*>(asset.data), asset.size, asset.mime);
  // The page may not be framed (clickjacking) and loads nothing from
  // elsewhere: no CDN, works offline.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                 "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                 "base-uri 'none'; form-action 'self'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("Cache-Control", "no-cache");
}

}  // namespace

const EmbeddedAsset* FindAsset(std::string_view name) {
  size_t count = 0;
  const EmbeddedAsset* assets = EmbeddedAssets(&count);
  for (size_t i = 0; i < count; ++i) {
    if (name == assets[i].name) return &assets[i];
  }
  return nullptr;
}

void RegisterStaticRoutes(httplib::Server& server) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    if (const EmbeddedAsset* index = FindAsset("index.html")) Serve(*index, res);
  });
  // Kue's UI pages; the dashboard reads the state from its path.
  server.Get("/(index.html|active|inactive|failed|complete|delayed)",
             [](const httplib::Request&, httplib::Response& res) {
               if (const EmbeddedAsset* index = FindAsset("index.html")) Serve(*index, res);
             });
  // Names are matched against the embedded table only; "..", "%2e%2e" or
  // slashes never reach a file system.
  server.Get("/assets/([A-Za-z0-9_.-]+)", [](const httplib::Request& req, httplib::Response& res) {
    const EmbeddedAsset* asset = FindAsset(req.matches[1].str());
    if (asset == nullptr || asset->name == std::string("index.html")) {
      res.status = 404;
      return;
    }
    Serve(*asset, res);
  });
}

}  // namespace taskqueue::http
