#include "service/http_listen.h"

#include <httplib.h>

#include <chrono>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace switchboard::service {

absl::StatusOr<int> BindServer(httplib::Server& server, const std::string& host,
                               int port) {
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
    if (bound < 0) bound = 0;
  } else if (!server.bind_to_port(host, port)) {
    bound = 0;
  }
  if (bound == 0) {
    return absl::UnavailableError(
        fmt::format("cannot listen on {}:{}", host, port));
  }
  return bound;
}

std::thread StartListening(httplib::Server& server) {
  std::thread listener([&server] { server.listen_after_bind(); });
  for (int i = 0; i < 5000 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return listener;
}

}  // namespace switchboard::service
