// switchboard studio RULES [--events FILE] [--http HOST:PORT]
// [--allow-remote]: a local web page for rule authors (docs/studio.md). This
// file reads the command line and the signals; the studio itself is
// service/studio.h (the API) and service/studio_server.h (HTTP and the page).
#include "service/studio.h"

#include <signal.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/http_server.h"
#include "service/studio_server.h"
#include "switchboard/ruleset.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

#ifndef SWITCHBOARD_CODEMIRROR_DIR
#define SWITCHBOARD_CODEMIRROR_DIR "/usr/share/javascript/codemirror"
#endif

namespace switchboard::cli {

extern const char kStudioHelp[] =
    "Serves a web page for rule authors at http://HOST:PORT/: the rule files\n"
    "of RULES in an editor, their diagnostics as you type (with the hint and\n"
    "a caret), the events run through the edited rules (decisions with their\n"
    "explanations, a summary per rule), the rule graph, the diff of the\n"
    "edited rules against the files on disk over the same events, and Save\n"
    "(only the rule files of RULES, each written atomically; a ruleset with\n"
    "errors only when forced). RULES may be broken: the page shows why.\n"
    "Prints the page's address on stdout, one line, once it listens.\n"
    "Works offline: the page is in the binary, the editor is Debian's\n"
    "libjs-codemirror (without it, a plain text area). Ctrl-C (SIGINT) or\n"
    "SIGTERM stops it (exit 0). See docs/studio.md.\n"
    "\n"
    "  --events FILE     the events (JSON Lines) run when the page loads, as\n"
    "                    'switchboard run RULES --events FILE' runs them;\n"
    "                    without it, paste or upload events in the page\n"
    "  --http HOST:PORT  where to listen (default 127.0.0.1:0, a free port)\n"
    "  --allow-remote    allow an address other than loopback, and requests\n"
    "                    from other hosts (anyone who reaches it can read\n"
    "                    and save the rules: use on a trusted network only)\n"
    "  --codemirror DIR  libjs-codemirror's folder "
    "(default " SWITCHBOARD_CODEMIRROR_DIR
    ")\n"
    "  --max-body BYTES  largest request (default 67108864)\n"
    "Exits 0 after a clean stop, 1 when RULES or the events cannot be read\n"
    "or the address cannot be bound, 2 for a bad command line.\n";

int Studio(const std::vector<std::string>& args, Output& out) {
  std::optional<std::string> events, http, codemirror, max_body;
  bool allow_remote = false;
  Flags flags("studio");
  flags.Value("--events", &events);
  flags.Value("--http", &http);
  flags.Switch("--allow-remote", &allow_remote);
  flags.Value("--codemirror", &codemirror);
  flags.Value("--max-body", &max_body);
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (auto rc = RequireOneRuleset("studio", paths)) return *rc;
  if (paths[0] == "-") {
    return UsageError("studio",
                      "RULES must be a file or a folder (the studio "
                      "saves to it), not stdin");
  }
  if (events.has_value() && (events->empty() || *events == "-")) {
    return UsageError("studio", "--events needs a file");
  }
  service::StudioServerOptions server_options;
  server_options.allow_remote = allow_remote;
  server_options.codemirror_dir =
      codemirror.value_or(SWITCHBOARD_CODEMIRROR_DIR);
  if (http.has_value()) {
    absl::Status parsed = service::ParseHostPort(*http, &server_options.host,
                                                 &server_options.port);
    if (!parsed.ok()) {
      return UsageError("studio", fmt::format("--http: {}", Message(parsed)));
    }
  }
  if (!allow_remote && !service::IsLoopbackHost(server_options.host)) {
    return UsageError("studio",
                      fmt::format("--http: '{}' is not a loopback address; the "
                                  "studio can read and write RULES, so serving "
                                  "other hosts needs --allow-remote",
                                  server_options.host));
  }
  if (max_body.has_value()) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(max_body->c_str(), &end, 10);
    if (max_body->empty() || *end != '\0' || errno != 0 || n < 1024) {
      return UsageError("studio",
                        fmt::format("--max-body needs a number of bytes >= "
                                    "1024, got '{}'",
                                    *max_body));
    }
    server_options.max_body_bytes = static_cast<size_t>(n);
  }

  service::StudioOptions options;
  options.rules = paths[0];
  options.events = events.value_or("");
  absl::StatusOr<std::unique_ptr<service::Studio>> studio =
      service::Studio::Create(options);
  if (!studio.ok()) {
    fmt::print(stderr, "switchboard: studio: {}\n", Message(studio.status()));
    return kExitProblem;
  }

  // SIGINT and SIGTERM are taken by this thread (sigwait), blocked in the
  // server's threads, which inherit the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  service::StudioServer server(server_options, studio->get());
  absl::StatusOr<int> port = server.Bind();
  if (!port.ok()) {
    fmt::print(stderr, "switchboard: studio: {}\n", Message(port.status()));
    return kExitProblem;
  }
  server.Start();
  const std::string& host = server_options.host;
  const std::string url = fmt::format(
      "http://{}:{}/",
      host.find(':') != std::string::npos ? "[" + host + "]" : host, *port);
  out.Print("{}\n", url);
  out.Flush();
  const LoadResult loaded = LoadRuleset(paths[0]);
  fmt::print(stderr,
             "switchboard: studio for '{}'{}{} at {} (Ctrl-C stops it)\n",
             paths[0], events.has_value() ? " with events '" : "",
             events.has_value() ? *events + "'" : std::string(), url);
  if (!loaded.ok()) {
    fmt::print(stderr,
               "switchboard: studio: the ruleset has {}: the page "
               "shows them\n",
               Plural(loaded.error_count(), "error"));
  }
  int sig = 0;
  sigwait(&stop, &sig);
  server.Stop();
  fmt::print(stderr, "switchboard: studio stopped\n");
  return kExitOk;
}

}  // namespace switchboard::cli
