// switchboard_serve_load: a load generator for `switchboard serve --http`
// (bench/serve_bench.sh, docs/serving.md "Performance").
//
//   switchboard_serve_load --port P --events FILE [--batch B]
//       [--connections C] [--seconds S] [--warmup S] [--get PATH]
//
// Each of C connections (kept alive, one thread each) posts batches of B
// lines of FILE (taken in turn, wrapping around) to POST /v1/events as fast
// as the answers come back (a closed loop), for S seconds after a warm-up.
// Prints the requests, events per second and the request latency
// percentiles (from the request sent to the answer read), and the answers
// by status. Exit 1 when any answer was not 200. --get PATH measures GET
// PATH instead (/healthz: the HTTP round trip without the engine).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"

namespace {

struct Options {
  int port = 0;
  std::string events;
  int batch = 100;
  int connections = 1;
  double seconds = 5;
  double warmup = 1;
  std::string get;  // GET this path instead (a baseline: /healthz)
};

int Usage() {
  std::fprintf(stderr,
               "usage: switchboard_serve_load --port P --events FILE "
               "[--batch B] [--connections C] [--seconds S] [--warmup S] "
               "[--get PATH]\n");
  return 2;
}

using Clock = std::chrono::steady_clock;

struct Result {
  std::vector<double> latencies;  // seconds, per request after warm-up
  int64_t events = 0;
  std::map<int, int64_t> statuses;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    const char* v = argv[++i];
    if (arg == "--port") {
      o.port = std::atoi(v);
    } else if (arg == "--events") {
      o.events = v;
    } else if (arg == "--batch") {
      o.batch = std::atoi(v);
    } else if (arg == "--connections") {
      o.connections = std::atoi(v);
    } else if (arg == "--seconds") {
      o.seconds = std::atof(v);
    } else if (arg == "--warmup") {
      o.warmup = std::atof(v);
    } else if (arg == "--get") {
      o.get = v;
    } else {
      return Usage();
    }
  }
  if (o.port <= 0 || o.events.empty() || o.batch < 1 || o.connections < 1) {
    return Usage();
  }
  std::vector<std::string> lines;
  {
    std::ifstream in(o.events);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) lines.push_back(line);
    }
  }
  if (lines.empty()) {
    std::fprintf(stderr, "no events in %s\n", o.events.c_str());
    return 1;
  }
  // The bodies, made up front: each connection starts at its own offset.
  const size_t bodies = std::max<size_t>(1, lines.size() / o.batch);
  std::vector<std::string> body(bodies);
  for (size_t b = 0; b < bodies; ++b) {
    for (int k = 0; k < o.batch; ++k) {
      body[b] += lines[(b * o.batch + k) % lines.size()];
      body[b] += '\n';
    }
  }

  const auto start = Clock::now();
  const auto measure_from =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(o.warmup));
  const auto stop_at =
      measure_from + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(o.seconds));
  std::vector<Result> results(o.connections);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", o.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      Result& r = results[c];
      r.latencies.reserve(1 << 20);
      size_t next = (bodies / o.connections) * c;
      for (;;) {
        const auto sent = Clock::now();
        if (sent >= stop_at) break;
        const std::string& b = body[next++ % bodies];
        auto answer = o.get.empty()
                          ? client.Post("/v1/events", b, "application/x-ndjson")
                          : client.Get(o.get);
        const auto got = Clock::now();
        const int status = answer ? answer->status : 0;
        if (sent >= measure_from) {
          ++r.statuses[status];
          r.latencies.push_back(
              std::chrono::duration<double>(got - sent).count());
          if (status == 200) r.events += o.batch;
        }
        if (!answer) break;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::vector<double> all;
  int64_t events = 0;
  std::map<int, int64_t> statuses;
  for (const Result& r : results) {
    all.insert(all.end(), r.latencies.begin(), r.latencies.end());
    events += r.events;
    for (const auto& [s, n] : r.statuses) statuses[s] += n;
  }
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    const size_t i =
        std::min(all.size() - 1, static_cast<size_t>(p / 100.0 * all.size()));
    return all[i] * 1e6;
  };
  fmt::print(
      "batch {} connections {}: {} requests in {:.1f} s, {:.0f} requests/s, "
      "{:.0f} events/s; latency per request (us): p50 {:.0f}, p90 {:.0f}, "
      "p99 {:.0f}, p99.9 {:.0f}, max {:.0f}\n",
      o.batch, o.connections, all.size(), o.seconds, all.size() / o.seconds,
      events / o.seconds, pct(50), pct(90), pct(99), pct(99.9),
      all.empty() ? 0.0 : all.back() * 1e6);
  bool ok = true;
  for (const auto& [s, n] : statuses) {
    fmt::print("  status {}: {}\n", s, n);
    if (s != 200) ok = false;
  }
  return ok ? 0 : 1;
}
