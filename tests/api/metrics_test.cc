// The latency histogram's quantiles and the Prometheus text it exports.
#include "api/metrics.h"

#include <gtest/gtest.h>

namespace callguard {
namespace {

TEST(LatencyHistogram, QuantilesAtTheirBucketResolution) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0);
  for (int i = 1; i <= 1000; ++i) h.Record(i * 1000LL);  // 1..1000 µs
  h.Record(7'500'000);                                   // one 7.5 ms outlier
  EXPECT_EQ(h.count(), 1001u);
  EXPECT_NEAR(h.Quantile(0.5), 501e-6, 1.5e-6);
  EXPECT_NEAR(h.Quantile(0.99), 991e-6, 1.5e-6);
  EXPECT_NEAR(h.Quantile(0.9999), 7.51e-3, 1e-5);  // 10 µs buckets between 1 and 10 ms
}

TEST(Metrics, PrometheusTextHasTypesCountersAndCumulativeBuckets) {
  Metrics m;
  m.screened += 3;
  m.actions[3] += 2;
  m.sip_latency.Record(40'000);   // 40 µs
  m.sip_latency.Record(300'000);  // 300 µs
  std::string t = m.Prometheus();
  EXPECT_NE(t.find("# TYPE callguard_screened_total counter\ncallguard_screened_total 3\n"),
            std::string::npos);
  EXPECT_NE(t.find("callguard_actions_total{action=\"block\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("# TYPE callguard_sip_added_latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(t.find("callguard_sip_added_latency_seconds_bucket{le=\"5e-05\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("callguard_sip_added_latency_seconds_bucket{le=\"0.0005\"} 2\n"),
            std::string::npos);
  EXPECT_NE(t.find("callguard_sip_added_latency_seconds_bucket{le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(t.find("callguard_sip_added_latency_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(t.find("callguard_sip_added_latency_quantile_seconds{quantile=\"0.99\"} 0.000301\n"),
            std::string::npos)
      << t;
}

}  // namespace
}  // namespace callguard
