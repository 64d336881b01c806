// Listening with cpp-httplib, as the service's HTTP server (http_server.h)
// and the studio's (studio_server.h) both do: bind first (so that a busy
// port is an error the caller reports, and port 0 picks a free one), then
// run the listen loop on a thread of its own.
#ifndef SWITCHBOARD_SERVICE_HTTP_LISTEN_H_
#define SWITCHBOARD_SERVICE_HTTP_LISTEN_H_

#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace switchboard::service {

// Binds `server` to host:port (port 0: a free port); returns the port, or
// Unavailable ("cannot listen on HOST:PORT").
absl::StatusOr<int> BindServer(httplib::Server& server, const std::string& host,
                               int port);

// Runs the bound server's listen loop on a new thread, and returns it once
// the loop runs (bounded: 5 s): a stop() before that would be lost and
// leave the loop running.
std::thread StartListening(httplib::Server& server);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_HTTP_LISTEN_H_
