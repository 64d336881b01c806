// The studio's HTTP side (`switchboard studio`, docs/studio.md), on
// cpp-httplib:
//
//   GET  /                   the page (service/studio/index.html)
//   GET  /studio.js, /studio.css   its code and style, embedded in the
//                            binary at build time (studio_assets.h)
//   GET  /codemirror/...     the editor, from Debian's libjs-codemirror at
//                            its install path (a few files, by name); 404
//                            when absent, and the page falls back to a
//                            plain text area
//   GET  /api/state          the rule files of RULES and the events' name
//   POST /api/check, /api/graph, /api/run, /api/diff, /api/save
//                            JSON in, JSON out (studio.h)
//
// Safety: it binds loopback unless the caller allows another address
// (the CLI's --allow-remote); without that, a request whose Host header is
// not a loopback name is refused (403: a DNS-rebinding page cannot reach
// it). A POST must be `Content-Type: application/json` (415 otherwise), so
// that another site's page cannot send one without a CORS preflight, which
// is never granted, and a POST with an Origin other than the page's own is
// refused (403). Bodies are bounded (413). Paths outside RULES are refused
// by the Studio (403).
#ifndef SWITCHBOARD_SERVICE_STUDIO_SERVER_H_
#define SWITCHBOARD_SERVICE_STUDIO_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "service/studio.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace switchboard::service {

struct StudioServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (Bind returns the one bound)
  // Whether requests from other hosts are served (Host header not checked).
  bool allow_remote = false;
  // Largest request body: 413 past it. Default: 64 MiB (pasted events).
  size_t max_body_bytes = size_t{64} << 20;
  // Where Debian's libjs-codemirror is installed; empty: no editor, a
  // plain text area.
  std::string codemirror_dir = "/usr/share/javascript/codemirror";
  // Requests served at once. Default: 4.
  int threads = 4;
};

class StudioServer {
 public:
  // `studio` must outlive the server.
  StudioServer(const StudioServerOptions& options, Studio* studio);
  ~StudioServer();  // Stop()s
  StudioServer(const StudioServer&) = delete;
  StudioServer& operator=(const StudioServer&) = delete;

  // Binds the address; returns the port. Errors: Unavailable.
  absl::StatusOr<int> Bind();
  // Serves on a thread of its own.
  void Start();
  // Stops listening, lets the requests under way finish. Idempotent.
  void Stop();

 private:
  void Routes();

  const StudioServerOptions options_;
  Studio* studio_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  bool stopped_ = false;
};

// Whether `host` (an address or a name, without a port) is the loopback
// interface: 127.0.0.0/8, ::1, localhost.
bool IsLoopbackHost(std::string_view host);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_STUDIO_SERVER_H_
