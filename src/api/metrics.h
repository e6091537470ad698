// Metrics: the service's counters and its added-latency histogram, written by the screening and
// I/O threads and read by GET /metrics (Prometheus text exposition format 0.0.4).
//
// Counters are relaxed atomics (a scrape may see one counter a moment ahead of another). The
// latency histogram has 1 µs buckets up to 1 ms, 10 µs up to 10 ms and 1 ms up to 1 s (plus an
// overflow bucket), so p50/p99/p99.9 are exact to those resolutions; it is exported both as a
// Prometheus histogram with the usual coarse buckets and as quantile gauges. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace callguard {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void Record(int64_t nanos);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // The q-quantile (0..1) in seconds (upper bound of its bucket); 0 when empty.
  double Quantile(double q) const;
  // Appends the Prometheus histogram <base>_seconds and gauges <base>_quantile_seconds.
  void Export(std::string_view base, std::string_view help, std::string* out) const;

 private:
  static int Bucket(int64_t micros);
  static double UpperSeconds(int bucket);
  std::vector<std::atomic<uint64_t>> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

struct Metrics {
  using Counter = std::atomic<uint64_t>;
  // SIP
  Counter sip_received{0};
  Counter sip_requests[6] = {};  // INVITE, ACK, CANCEL, OPTIONS, other, response (dropped)
  Counter sip_answers[7] =
      {};  // 302 allow, 302 label/warn, block, 200, 400-class, 405/416/481, 5xx
  Counter sip_parse_errors[12] = {};  // by ParseError
  Counter sip_oversized{0};
  Counter sip_unanswerable{0};  // malformed beyond answering (no Via/Call-ID...): dropped
  Counter sip_retransmissions{0};
  Counter sip_fail_open{0};
  Counter sip_fail_closed{0};
  Counter tcp_accepted{0};
  Counter tcp_rejected{0};  // over max_tcp_connections
  Counter tcp_closed_idle{0};
  Counter tcp_framing_errors{0};
  Counter tcp_open{0};  // gauge
  // Screening outcomes (SIP and HTTP together)
  Counter screened{0};
  Counter actions[4] = {};  // allow, label, warn, block
  Counter emergency{0};     // emergency/priority calls (never blocked)
  Counter shaken[3] = {};   // STIR/SHAKEN verification: passed, failed, none
  // HTTP
  Counter http_screen{0};
  Counter http_screen_fail_open{0};
  Counter http_bad_requests{0};
  Counter http_requests[5] = {};  // by status class: 2xx, 3xx, 4xx, 5xx, other
  Counter http_unauthorized{0};   // no or invalid token (401)
  Counter http_forbidden{0};      // token lacks the role (403)
  Counter http_rate_limited{0};   // public endpoints over the per-address rate (429)
  Counter number_lookups{0};      // GET /v1/numbers/{number}
  Counter reports{0};
  Counter feedback{0};
  Counter appeals{0};
  Counter appeal_decisions{0};
  Counter list_changes{0};
  // Store
  Counter store_errors{0};            // a store operation failed (answered 503)
  Counter verdicts_recorded{0};       // written to the verdict trail
  Counter verdicts_trail_dropped{0};  // not recorded: the trail's queue was full or a write failed
  Counter access_logged{0};
  Counter list_refreshes{0};  // list entries re-read from the store
  // Learning
  Counter cdr_accepted{0};
  Counter cdr_rejected{0};
  Counter spool_files{0};
  Counter spool_failed{0};
  Counter snapshots{0};
  Counter snapshot_errors{0};
  Counter reloads{0};
  Counter reload_errors{0};
  Counter profiles{0};  // gauge, updated by the engine thread
  // Investigation (serve)
  Counter victim_contacts{0};         // contacts between the scam side and someone else
  Counter victim_tasks{0};            // warning tasks created
  Counter victim_tasks_delivered{0};  // delivered by the dispatcher (webhook / file)
  Counter victim_tasks_late{0};       // created more than 5 s after their record arrived
  Counter victim_task_lag_max_ms{0};  // gauge: the slowest record-to-task time so far
  Counter victim_escalations{0};      // unanswered voice calls turned into home visits
  Counter victim_queue_dropped{0};    // records not graded: the grading queue was full
  Counter victim_backlog{0};          // gauge: records handed to the grader and not yet graded
  Counter origid_noted{0};   // verified origination ids of screened calls, kept for their records
  Counter origid_joined{0};  // call records that got their origid from the screened INVITE
  Counter ops_runs{0};
  Counter ops_operations{0};   // gauge: operations in the latest grouping
  Counter ops_last_ms{0};      // gauge: how long the latest grouping took
  Counter ops_numbers{0};      // gauge: numbers in the live call set (the window's)
  Counter victims_tracked{0};  // gauge: people the grader follows (after the last forgetting)
  LatencyHistogram sip_latency;
  LatencyHistogram http_latency;

  std::string Prometheus() const;
};

}  // namespace callguard
