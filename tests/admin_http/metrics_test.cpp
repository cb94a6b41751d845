// core/metrics.h: histogram buckets (Prometheus "le"), labelled families
// and their overflow slot, and the text exposition of a private registry.
#include "core/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace m = fixgw::metrics;

TEST(Metrics, HistogramBucketIsTheFirstBoundAtOrAboveTheValue) {
  EXPECT_EQ(m::Histogram::bucketOf(0), 0u);
  EXPECT_EQ(m::Histogram::bucketOf(1'000), 0u);  // le="0.000001" includes 1 µs
  EXPECT_EQ(m::Histogram::bucketOf(1'001), 1u);
  EXPECT_EQ(m::Histogram::bucketOf(10'000'000'000), m::Histogram::kBoundsNanos.size() - 1);
  EXPECT_EQ(m::Histogram::bucketOf(10'000'000'001), m::Histogram::kBoundsNanos.size());  // +Inf
  m::Histogram h;
  h.observe(500);
  h.observe(3'000);
  h.observe(-5);  // a clock step: counted as 0, never a negative sum
  h.observe(20'000'000'000);
  auto s = h.snapshot();
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.counts[0], 2u);
  EXPECT_EQ(s.counts[2], 1u);
  EXPECT_EQ(s.counts[m::Histogram::kBuckets - 1], 1u);
  EXPECT_EQ(s.sumNanos, 20'000'003'500u);
}

TEST(Metrics, FamilyKeepsLabelsAndSendsOverflowToOther) {
  m::Family<m::Counter, 4> f;
  f.get("a").inc();
  f.get("b").inc(2);
  f.get("a").inc();
  f.get("c").inc();  // the 3rd label: slots 0..2 are named
  f.get("d").inc();  // full: goes to "other"
  f.get("e").inc(5);
  std::vector<std::pair<std::string, uint64_t>> seen;
  f.forEach([&](const std::string& l, const m::Counter& c) { seen.emplace_back(l, c.value()); });
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], (std::pair<std::string, uint64_t>{"a", 2}));
  EXPECT_EQ(seen[1], (std::pair<std::string, uint64_t>{"b", 2}));
  EXPECT_EQ(seen[2], (std::pair<std::string, uint64_t>{"c", 1}));
  EXPECT_EQ(seen[3], (std::pair<std::string, uint64_t>{"other", 6}));
  EXPECT_EQ(f.find("zzz"), nullptr);
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  m::Family<m::Counter, 8> f;
  m::Histogram h;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 100'000; ++i) {
        f.get(t % 2 ? "odd" : "even").inc();
        h.observe(i);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(f.find("odd")->value() + f.find("even")->value(), 400'000u);
  EXPECT_EQ(h.snapshot().count, 400'000u);
}

TEST(Metrics, RenderIsPrometheusTextWithEscapedLabels) {
  m::GatewayMetrics g;
  g.sessions.get("FIX.4.4:FIXGW->C\"1").messagesIn.inc(3);
  g.rejectsByReason.get("MAX_ORDER_QTY").inc();
  g.ackLatency.observe(2'000);  // 2 µs
  int id = g.addCollector([](std::string& out) { out += "extra_gauge 7\n"; });
  std::string t = g.render();
  EXPECT_NE(
      t.find("fixgw_fix_messages_total{session=\"FIX.4.4:FIXGW->C\\\"1\",direction=\"in\"} 3"),
      std::string::npos)
      << t;
  EXPECT_NE(t.find("fixgw_rejects_total{reason=\"MAX_ORDER_QTY\"} 1"), std::string::npos);
  EXPECT_NE(t.find("fixgw_ack_latency_seconds_bucket{le=\"0.000001\"} 0"), std::string::npos) << t;
  EXPECT_NE(t.find("fixgw_ack_latency_seconds_bucket{le=\"0.0000025\"} 1"), std::string::npos) << t;
  EXPECT_NE(t.find("fixgw_ack_latency_seconds_bucket{le=\"+Inf\"} 1"), std::string::npos);
  EXPECT_NE(t.find("fixgw_ack_latency_seconds_sum 0.000002\n"), std::string::npos) << t;
  EXPECT_NE(t.find("fixgw_ack_latency_seconds_count 1"), std::string::npos);
  EXPECT_NE(t.find("extra_gauge 7\n"), std::string::npos);
  g.removeCollector(id);
  EXPECT_EQ(g.render().find("extra_gauge"), std::string::npos);
  // Every sample line is "name{labels} value" or "name value"; comments start with '#'.
  std::istringstream in(t);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_NE(line.rfind(' '), std::string::npos) << line;
  }
}
