// The studio's endpoints on cpp-httplib (studio_server.h).
#include "service/studio_server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "service/http_listen.h"
#include "service/studio_assets.h"

namespace switchboard::service {
namespace {

constexpr std::string_view kJson = "application/json; charset=utf-8";

// The files of libjs-codemirror the page loads, under its install folder:
// the only ones served from there.
constexpr std::string_view kCodeMirrorFiles[] = {
    "lib/codemirror.js",
    "lib/codemirror.css",
    "mode/yaml/yaml.js",
};

// The largest CodeMirror file served (codemirror.js is about 400 KB).
constexpr std::streamsize kMaxAssetBytes = 8 << 20;

void Answer(httplib::Response& res, int status, std::string body,
            std::string_view type) {
  res.status = status;
  res.set_content(std::move(body), std::string(type));
}

void JsonError(httplib::Response& res, int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  for (const char c : message) {
    if (c == '"' || c == '\\') body += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) body += c;
  }
  body += "\"}";
  Answer(res, status, std::move(body), kJson);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

// The host of a Host header ("127.0.0.1:8080", "[::1]:8080", "localhost").
std::string_view HostOf(std::string_view header) {
  if (!header.empty() && header.front() == '[') {
    const size_t close = header.find(']');
    return close == std::string_view::npos ? header
                                           : header.substr(1, close - 1);
  }
  return header.substr(0, header.find(':'));
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string data(static_cast<size_t>(kMaxAssetBytes), '\0');
  in.read(data.data(), kMaxAssetBytes);
  if (in.bad() || in.gcount() >= kMaxAssetBytes) return false;
  data.resize(static_cast<size_t>(in.gcount()));
  *out = std::move(data);
  return true;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  const std::string h = Lower(host);
  if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
  if (h.rfind("127.", 0) != 0) return false;
  // 127.a.b.c with digits only.
  int dots = 0;
  for (const char c : h) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

StudioServer::StudioServer(const StudioServerOptions& options, Studio* studio)
    : options_(options),
      studio_(studio),
      server_(std::make_unique<httplib::Server>()) {
  const size_t threads = static_cast<size_t>(std::max(1, options_.threads));
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(30, 0);
  server_->set_write_timeout(30, 0);
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        JsonError(res, 500, "internal error");
      });
  Routes();
}

StudioServer::~StudioServer() { Stop(); }

void StudioServer::Routes() {
  // Safety first (studio_server.h): the Host, the media type, the Origin.
  server_->set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("Cache-Control", "no-store");
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                       "img-src 'self' data:; frame-ancestors 'none'");
        if (!options_.allow_remote &&
            !IsLoopbackHost(HostOf(req.get_header_value("Host")))) {
          JsonError(res, 403,
                    "the studio answers on loopback only (start it with "
                    "--allow-remote to serve other hosts)");
          return httplib::Server::HandlerResponse::Handled;
        }
        if (req.method == "POST") {
          const std::string type = Lower(req.get_header_value("Content-Type"));
          if (type.rfind("application/json", 0) != 0) {
            JsonError(res, 415, "the studio's API takes application/json");
            return httplib::Server::HandlerResponse::Handled;
          }
          const std::string origin = req.get_header_value("Origin");
          if (!origin.empty() && origin != "null" &&
              origin != "http://" + req.get_header_value("Host")) {
            JsonError(res, 403, "requests from another site are refused");
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });

  const auto asset = [](std::string_view name) {
    return [name](const httplib::Request&, httplib::Response& res) {
      for (const StudioAsset& a : StudioAssets()) {
        if (a.name == name) {
          Answer(res, 200, std::string(a.body), a.content_type);
          return;
        }
      }
      JsonError(res, 404, "not found");
    };
  };
  server_->Get("/", asset("index.html"));
  server_->Get("/index.html", asset("index.html"));
  server_->Get("/studio.js", asset("studio.js"));
  server_->Get("/studio.css", asset("studio.css"));

  server_->Get(R"(/codemirror/(.+))", [this](const httplib::Request& req,
                                             httplib::Response& res) {
    const std::string name = req.matches[1];
    bool known = false;
    for (std::string_view f : kCodeMirrorFiles) known = known || f == name;
    std::string body;
    if (!known || options_.codemirror_dir.empty() ||
        !ReadFile(options_.codemirror_dir + "/" + name, &body)) {
      JsonError(res, 404, "not found");
      return;
    }
    const bool css = name.size() > 4 && name.substr(name.size() - 4) == ".css";
    res.set_header("Cache-Control", "max-age=3600");
    Answer(res, 200, std::move(body),
           css ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
  });

  server_->Get("/api/state",
               [this](const httplib::Request&, httplib::Response& res) {
                 StudioAnswer a = studio_->State();
                 Answer(res, a.status, std::move(a.body), kJson);
               });
  using Method = StudioAnswer (*)(Studio*, std::string_view);
  const auto api = [this](Method method) {
    return [this, method](const httplib::Request& req, httplib::Response& res) {
      StudioAnswer a = method(studio_, req.body);
      Answer(res, a.status, std::move(a.body), kJson);
    };
  };
  server_->Post("/api/check",
                api([](Studio* s, std::string_view b) { return s->Check(b); }));
  server_->Post("/api/graph",
                api([](Studio* s, std::string_view b) { return s->Graph(b); }));
  server_->Post("/api/run",
                api([](Studio* s, std::string_view b) { return s->Run(b); }));
  server_->Post("/api/diff",
                api([](Studio* s, std::string_view b) { return s->Diff(b); }));
  server_->Post("/api/save",
                api([](Studio* s, std::string_view b) { return s->Save(b); }));
}

absl::StatusOr<int> StudioServer::Bind() {
  absl::StatusOr<int> port = BindServer(*server_, options_.host, options_.port);
  if (port.ok()) port_ = *port;
  return port;
}

void StudioServer::Start() { listener_ = StartListening(*server_); }

void StudioServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

}  // namespace switchboard::service
