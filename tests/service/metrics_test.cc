// Tests of the Prometheus text writer (service/metrics.h) and of the
// decisions' SSE form and subscriber limits (service/decision_hub.h).
#include "service/metrics.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/decision_hub.h"

namespace switchboard::service {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, FamiliesHaveHelpAndType) {
  PrometheusWriter w;
  w.Counter("switchboard_events_total", "Input events.", 42);
  w.Gauge("switchboard_sessions", "Live sessions.", 3);
  EXPECT_EQ(w.Take(),
            "# HELP switchboard_events_total Input events.\n"
            "# TYPE switchboard_events_total counter\n"
            "switchboard_events_total 42\n"
            "# HELP switchboard_sessions Live sessions.\n"
            "# TYPE switchboard_sessions gauge\n"
            "switchboard_sessions 3\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  PrometheusWriter w;
  w.Family("m_total", "counter", "m.");
  w.Sample("m_total", {{"rule", "a \"b\"\\c\nd"}, {"action", "tag"}},
           int64_t{1});
  EXPECT_THAT(w.Take(),
              HasSubstr("m_total{rule=\"a \\\"b\\\"\\\\c\\nd\",action=\"tag\"} "
                        "1\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Histogram h;
  h.Observe(0.5e-6);  // first bucket
  h.Observe(3e-6);    // le=5e-06
  h.Observe(20.0);    // +Inf only
  PrometheusWriter w;
  w.Family("lat_seconds", "histogram", "Latency.");
  w.HistogramSamples("lat_seconds", {}, h);
  const std::string text = w.Take();
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"1e-06\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"2.5e-06\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"5e-06\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_count 3\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_sum 20.00000"));
}

TEST(MetricsTest, AtomicHistogramLoadsWhatWasObserved) {
  AtomicHistogram a;
  a.Observe(1e-4);
  a.Observe(1e-4);
  const Histogram h = a.Load();
  EXPECT_EQ(h.count(), 2u);
  EXPECT_NEAR(h.sum(), 2e-4, 1e-9);
}

TEST(DecisionHubTest, ServerSentEventsCarryTheDecisionId) {
  std::string sse;
  AppendServerSentEvents(
      "{\"rule\":\"r\",\"id\":\"i-1-0\"}\n{\"rule\":\"s\",\"id\":\"i-2-0\"}\n",
      &sse);
  EXPECT_EQ(sse,
            "id: i-1-0\nevent: decision\ndata: {\"rule\":\"r\",\"id\":\"i-1-"
            "0\"}\n\n"
            "id: i-2-0\nevent: decision\ndata: {\"rule\":\"s\",\"id\":\"i-2-"
            "0\"}\n\n");
}

TEST(DecisionHubTest, ASlowSubscriberIsDroppedNotWaitedFor) {
  DecisionHub::Options options;
  options.to_stdout = false;
  options.subscriber_buffer_bytes = 200;
  DecisionHub hub(options);
  std::shared_ptr<Subscriber> slow = hub.Subscribe();
  std::shared_ptr<Subscriber> quick = hub.Subscribe();
  ASSERT_NE(slow, nullptr);
  const std::string line = "{\"rule\":\"r\",\"id\":\"i-1-0\"}\n";
  std::string got;
  for (int i = 0; i < 10; ++i) {
    hub.Publish(line);
    got.clear();
    EXPECT_TRUE(quick->Next(&got, absl::ZeroDuration()));
    EXPECT_THAT(got, HasSubstr("id: i-1-0"));
  }
  EXPECT_TRUE(slow->dropped());
  EXPECT_FALSE(slow->Next(&got, absl::ZeroDuration()));
  EXPECT_EQ(hub.subscribers_dropped(), 1);
  EXPECT_EQ(hub.subscribers(), 1);
  EXPECT_EQ(hub.published(), 10);
}

TEST(DecisionHubTest, SubscribersAreLimitedAndEndWithTheHub) {
  DecisionHub::Options options;
  options.to_stdout = false;
  options.max_subscribers = 1;
  DecisionHub hub(options);
  std::shared_ptr<Subscriber> one = hub.Subscribe();
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(hub.Subscribe(), nullptr);
  one->Cancel();
  std::shared_ptr<Subscriber> again = hub.Subscribe();
  ASSERT_NE(again, nullptr);
  std::string got;
  EXPECT_TRUE(again->Next(&got, absl::ZeroDuration()));  // nothing yet
  hub.Close();
  EXPECT_FALSE(again->Next(&got, absl::ZeroDuration()));
  EXPECT_EQ(hub.Subscribe(), nullptr);
}

}  // namespace
}  // namespace switchboard::service
