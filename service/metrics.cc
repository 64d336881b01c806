// Histograms and the Prometheus text writer (metrics.h).
#include "service/metrics.h"

#include <cmath>
#include <iterator>

#include "fmt/format.h"

namespace switchboard::service {

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts_) n += c;
  return n;
}

void AtomicHistogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<int64_t>(seconds * 1e9),
                       std::memory_order_relaxed);
}

Histogram AtomicHistogram::Load() const {
  Histogram h;
  for (size_t i = 0; i < h.counts_.size(); ++i) {
    h.counts_[i] = counts_[i].load(std::memory_order_relaxed);
  }
  h.sum_ =
      static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return h;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void PrometheusWriter::Family(std::string_view name, std::string_view type,
                              std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name,
                 help, name, type);
}

void PrometheusWriter::Name(std::string_view name, const Labels& labels,
                            std::string_view extra_label,
                            std::string_view extra_value) {
  out_.append(name);
  if (labels.empty() && extra_label.empty()) return;
  out_ += '{';
  bool first = true;
  for (const auto& [label, value] : labels) {
    if (!first) out_ += ',';
    first = false;
    fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", label,
                   EscapeLabelValue(value));
  }
  if (!extra_label.empty()) {
    if (!first) out_ += ',';
    fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", extra_label,
                   extra_value);
  }
  out_ += '}';
}

void PrometheusWriter::Sample(std::string_view name, const Labels& labels,
                              double value) {
  Name(name, labels);
  if (std::isnan(value)) {
    out_ += " NaN\n";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? " +Inf\n" : " -Inf\n";
  } else {
    fmt::format_to(std::back_inserter(out_), " {}\n", value);
  }
}

void PrometheusWriter::Sample(std::string_view name, const Labels& labels,
                              int64_t value) {
  Name(name, labels);
  fmt::format_to(std::back_inserter(out_), " {}\n", value);
}

void PrometheusWriter::HistogramSamples(std::string_view name,
                                        const Labels& labels,
                                        const Histogram& histogram) {
  const std::string bucket = fmt::format("{}_bucket", name);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.counts().size(); ++i) {
    cumulative += histogram.counts()[i];
    const std::string le = i < kLatencyBuckets.size()
                               ? fmt::format("{}", kLatencyBuckets[i])
                               : std::string("+Inf");
    Name(bucket, labels, "le", le);
    fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
  }
  Sample(fmt::format("{}_sum", name), labels, histogram.sum());
  Sample(fmt::format("{}_count", name), labels,
         static_cast<int64_t>(cumulative));
}

void PrometheusWriter::Counter(std::string_view name, std::string_view help,
                               int64_t value) {
  Family(name, "counter", help);
  Sample(name, {}, value);
}

void PrometheusWriter::Gauge(std::string_view name, std::string_view help,
                             double value) {
  Family(name, "gauge", help);
  Sample(name, {}, value);
}

}  // namespace switchboard::service
