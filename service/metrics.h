// Metrics of the service in the Prometheus text exposition format (version
// 0.0.4): histograms with fixed buckets, and a writer that puts out each
// metric family with its # HELP and # TYPE lines and escapes label values.
// Names follow the Prometheus conventions: counters end in _total, durations
// are _seconds histograms, base units throughout (docs/serving.md lists
// every metric).
//
// Histogram is for one thread (the engine thread owns its histograms and
// copies them into a snapshot); AtomicHistogram may be observed from many
// threads at once (the HTTP workers) without a lock.
#ifndef SWITCHBOARD_SERVICE_METRICS_H_
#define SWITCHBOARD_SERVICE_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::service {

// The upper bounds of the latency histograms, in seconds: 1 µs to 10 s, about
// three per decade (the +Inf bucket is implicit).
inline constexpr std::array<double, 19> kLatencyBuckets = {
    1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
    2.5e-3, 5e-3,   1e-2, 2.5e-2, 5e-2,   0.1,  0.25, 1.0,    10.0};

// A latency histogram owned by one thread. Observe costs a few compares and
// no allocation.
class Histogram {
 public:
  void Observe(double seconds) {
    size_t i = 0;
    while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
    ++counts_[i];
    sum_ += seconds;
  }
  // Per bucket (not cumulative), the last one for +Inf.
  const std::array<uint64_t, kLatencyBuckets.size() + 1>& counts() const {
    return counts_;
  }
  double sum() const { return sum_; }
  uint64_t count() const;
  // Adds `other`'s observations (the histograms of several engines as one).
  void Add(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    sum_ += other.sum_;
  }

 private:
  friend class AtomicHistogram;  // Load() fills one
  std::array<uint64_t, kLatencyBuckets.size() + 1> counts_{};
  double sum_ = 0;
};

// A latency histogram that many threads observe at once (relaxed atomics:
// a reader may see a sum and counts from slightly different moments).
class AtomicHistogram {
 public:
  void Observe(double seconds);
  // A copy, for the writer.
  Histogram Load() const;

 private:
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> counts_{};
  std::atomic<int64_t> sum_nanos_{0};
};

// Writes metric families in the text format. Each family is written whole:
// Family() (the # HELP and # TYPE lines), then its samples.
//
//   PrometheusWriter w;
//   w.Family("switchboard_events_total", "counter", "Input events processed.");
//   w.Sample("switchboard_events_total", {}, 42);
//   std::string text = w.Take();
class PrometheusWriter {
 public:
  using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

  // # HELP and # TYPE lines. `type`: counter, gauge or histogram.
  void Family(std::string_view name, std::string_view type,
              std::string_view help);
  // One sample line: name{labels} value. Label values are escaped.
  void Sample(std::string_view name, const Labels& labels, double value);
  void Sample(std::string_view name, const Labels& labels, int64_t value);
  // A whole histogram family's samples (_bucket with le, _sum, _count);
  // Family() must have been called for `name`.
  void HistogramSamples(std::string_view name, const Labels& labels,
                        const Histogram& histogram);
  // A family with one unlabelled sample.
  void Counter(std::string_view name, std::string_view help, int64_t value);
  void Gauge(std::string_view name, std::string_view help, double value);

  std::string Take() { return std::move(out_); }

 private:
  void Name(std::string_view name, const Labels& labels,
            std::string_view extra_label = {},
            std::string_view extra_value = {});
  std::string out_;
};

// A label value with \, " and newline escaped as the text format requires.
std::string EscapeLabelValue(std::string_view value);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_METRICS_H_
