#include "api/metrics.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace callguard {

namespace {
constexpr int kFine = 1000;   // 0..999 µs by 1 µs
constexpr int kMid = 900;     // 1..10 ms by 10 µs
constexpr int kCoarse = 990;  // 10 ms..1 s by 1 ms
constexpr int kBuckets = kFine + kMid + kCoarse + 1;

void AppendLine(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void AppendLine(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out->append(buf, static_cast<size_t>(std::min(n, static_cast<int>(sizeof buf) - 1)));
}

uint64_t Get(const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); }
}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets) {}

int LatencyHistogram::Bucket(int64_t us) {
  if (us < 0) us = 0;
  if (us < 1000) return static_cast<int>(us);
  if (us < 10000) return kFine + static_cast<int>((us - 1000) / 10);
  if (us < 1000000) return kFine + kMid + static_cast<int>((us - 10000) / 1000);
  return kBuckets - 1;
}

double LatencyHistogram::UpperSeconds(int b) {
  if (b < kFine) return (b + 1) * 1e-6;
  if (b < kFine + kMid) return (1000 + (b - kFine + 1) * 10) * 1e-6;
  if (b < kBuckets - 1) return (10000 + (b - kFine - kMid + 1) * 1000) * 1e-6;
  return 1e9;
}

void LatencyHistogram::Record(int64_t nanos) {
  buckets_[Bucket(nanos / 1000)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(nanos > 0 ? nanos : 0), std::memory_order_relaxed);
}

double LatencyHistogram::Quantile(double q) const {
  uint64_t total = 0;
  for (const auto& b : buckets_) total += Get(b);
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total));
  if (rank >= total) rank = total - 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += Get(buckets_[i]);
    if (seen > rank) return UpperSeconds(i);
  }
  return UpperSeconds(kBuckets - 1);
}

void LatencyHistogram::Export(std::string_view base, std::string_view help,
                              std::string* out) const {
  std::string n = std::string(base) + "_seconds";
  std::string qn = std::string(base) + "_quantile_seconds";
  AppendLine(out, "# HELP %s %.*s\n# TYPE %s histogram\n", n.c_str(), static_cast<int>(help.size()),
             help.data(), n.c_str());
  // Fine enough below 10 ms for histogram_quantile() to resolve p99 and p99.9 targets.
  static constexpr double kEdges[] = {10e-6,  20e-6,  50e-6, 100e-6, 150e-6, 200e-6, 300e-6, 400e-6,
                                      500e-6, 750e-6, 1e-3,  1.5e-3, 2e-3,   3e-3,   5e-3,   7.5e-3,
                                      10e-3,  25e-3,  50e-3, 100e-3, 250e-3, 1};
  uint64_t cum = 0;
  int b = 0;
  uint64_t total = 0;
  for (double edge : kEdges) {
    while (b < kBuckets - 1 && UpperSeconds(b) <= edge + 1e-12) cum += Get(buckets_[b++]);
    AppendLine(out, "%s_bucket{le=\"%g\"} %llu\n", n.c_str(), edge,
               static_cast<unsigned long long>(cum));
  }
  for (const auto& x : buckets_) total += Get(x);
  AppendLine(out, "%s_bucket{le=\"+Inf\"} %llu\n", n.c_str(),
             static_cast<unsigned long long>(total));
  AppendLine(out, "%s_sum %.9f\n%s_count %llu\n", n.c_str(),
             static_cast<double>(Get(sum_ns_)) * 1e-9, n.c_str(),
             static_cast<unsigned long long>(total));
  AppendLine(out, "# HELP %s %.*s (quantiles since start)\n# TYPE %s gauge\n", qn.c_str(),
             static_cast<int>(help.size()), help.data(), qn.c_str());
  for (double q : {0.5, 0.9, 0.99, 0.999})
    AppendLine(out, "%s{quantile=\"%g\"} %.6f\n", qn.c_str(), q, Quantile(q));
}

std::string Metrics::Prometheus() const {
  std::string out;
  out.reserve(16384);
  auto counter = [&](const char* name, const char* help, const Counter& c) {
    AppendLine(&out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
               static_cast<unsigned long long>(Get(c)));
  };
  auto gauge = [&](const char* name, const char* help, const Counter& c) {
    AppendLine(&out, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
               static_cast<unsigned long long>(Get(c)));
  };
  auto labelled = [&](const char* name, const char* help, const char* label,
                      std::initializer_list<const char*> values, const Counter* cs) {
    AppendLine(&out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    int i = 0;
    for (const char* v : values)
      AppendLine(&out, "%s{%s=\"%s\"} %llu\n", name, label, v,
                 static_cast<unsigned long long>(Get(cs[i++])));
  };
  counter("callguard_sip_messages_received_total", "SIP messages received (UDP and TCP)",
          sip_received);
  labelled("callguard_sip_requests_total", "SIP messages by method", "method",
           {"INVITE", "ACK", "CANCEL", "OPTIONS", "other", "response"}, sip_requests);
  labelled("callguard_sip_answers_total", "SIP answers sent", "answer",
           {"302_allow", "302_label", "block", "200", "400", "4xx_other", "5xx"}, sip_answers);
  labelled("callguard_sip_parse_errors_total", "SIP messages that did not parse, by error", "error",
           {"ok", "empty", "bad_start_line", "bad_version", "bad_header", "missing_header",
            "duplicate_header", "scalar_out_of_range", "cseq_method_mismatch", "bad_content_length",
            "too_large", "incomplete"},
           sip_parse_errors);
  counter("callguard_sip_oversized_total", "datagrams or TCP messages over max_message_bytes",
          sip_oversized);
  counter("callguard_sip_unanswerable_total", "malformed messages dropped without an answer",
          sip_unanswerable);
  counter("callguard_sip_retransmissions_total", "retransmitted requests answered from the cache",
          sip_retransmissions);
  counter("callguard_sip_fail_open_total", "calls let through unscreened (deadline or overload)",
          sip_fail_open);
  counter("callguard_sip_fail_closed_total", "calls answered 503 (deadline, fail_open: false)",
          sip_fail_closed);
  counter("callguard_tcp_accepted_total", "TCP connections accepted", tcp_accepted);
  counter("callguard_tcp_rejected_total", "TCP connections refused (max_tcp_connections)",
          tcp_rejected);
  counter("callguard_tcp_closed_idle_total", "TCP connections closed idle or stalled",
          tcp_closed_idle);
  counter("callguard_tcp_framing_errors_total", "TCP connections closed on unframeable bytes",
          tcp_framing_errors);
  gauge("callguard_tcp_connections", "TCP connections open", tcp_open);
  counter("callguard_screened_total", "calls screened (SIP and HTTP)", screened);
  labelled("callguard_actions_total", "screening actions", "action",
           {"allow", "label", "warn", "block"}, actions);
  counter("callguard_emergency_calls_total", "emergency or priority calls (never blocked)",
          emergency);
  labelled("callguard_shaken_verifications_total", "STIR/SHAKEN verification outcomes of INVITEs",
           "verstat", {"TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"}, shaken);
  counter("callguard_http_screen_total", "POST /v1/screen requests", http_screen);
  counter("callguard_http_screen_fail_open_total", "HTTP screenings answered fail-open",
          http_screen_fail_open);
  counter("callguard_http_bad_requests_total", "HTTP requests rejected as malformed",
          http_bad_requests);
  labelled("callguard_http_requests_total", "HTTP API answers by status class", "class",
           {"2xx", "3xx", "4xx", "5xx", "other"}, http_requests);
  counter("callguard_http_unauthorized_total", "HTTP requests without a valid token",
          http_unauthorized);
  counter("callguard_http_forbidden_total", "HTTP requests whose token lacks the role",
          http_forbidden);
  counter("callguard_http_rate_limited_total", "public HTTP requests over the per-address rate",
          http_rate_limited);
  counter("callguard_number_lookups_total", "GET /v1/numbers/{number}", number_lookups);
  counter("callguard_reports_total", "scam reports received", reports);
  counter("callguard_feedback_total", "analyst feedback applied", feedback);
  counter("callguard_appeals_total", "appeals received", appeals);
  counter("callguard_appeal_decisions_total", "appeals decided", appeal_decisions);
  counter("callguard_list_changes_total", "list entries added or removed over the API",
          list_changes);
  counter("callguard_store_errors_total", "store operations that failed", store_errors);
  counter("callguard_verdicts_recorded_total", "verdicts written to the audit trail",
          verdicts_recorded);
  counter("callguard_verdicts_trail_dropped_total",
          "verdicts not recorded (trail queue full or write failed)", verdicts_trail_dropped);
  counter("callguard_access_logged_total", "reads of personal data written to the audit log",
          access_logged);
  counter("callguard_list_refreshes_total", "list entries re-read from the store", list_refreshes);
  counter("callguard_cdr_accepted_total", "call records learned from", cdr_accepted);
  counter("callguard_cdr_rejected_total", "call records rejected", cdr_rejected);
  counter("callguard_spool_files_total", "spool files processed", spool_files);
  counter("callguard_spool_failed_total", "spool files that could not be read", spool_failed);
  counter("callguard_snapshots_total", "state snapshots written", snapshots);
  counter("callguard_snapshot_errors_total", "state snapshots that failed", snapshot_errors);
  counter("callguard_reloads_total", "list and rule reloads", reloads);
  counter("callguard_reload_errors_total", "reloads that failed (old lists kept)", reload_errors);
  gauge("callguard_profiles", "numbers with a behaviour profile", profiles);
  counter("callguard_victim_contacts_total", "contacts between the scam side and someone else",
          victim_contacts);
  counter("callguard_victim_tasks_total", "victim warning tasks created", victim_tasks);
  counter("callguard_victim_tasks_delivered_total", "warning tasks delivered (webhook / file)",
          victim_tasks_delivered);
  counter("callguard_victim_tasks_late_total",
          "warning tasks created more than 5 s after their call record arrived", victim_tasks_late);
  gauge("callguard_victim_task_lag_max_ms", "slowest time from a record's arrival to its task",
        victim_task_lag_max_ms);
  counter("callguard_victim_escalations_total", "unanswered voice calls escalated to home visits",
          victim_escalations);
  counter("callguard_victim_queue_dropped_total", "records not graded (queue full)",
          victim_queue_dropped);
  gauge("callguard_victim_backlog",
        "call records waiting for the victim grader (0: every task they make is stored)",
        victim_backlog);
  counter("callguard_origid_noted_total",
          "verified STIR/SHAKEN origination ids of screened calls, kept for their call records",
          origid_noted);
  counter("callguard_origid_joined_total",
          "call records that took the origid of their screened INVITE (same call id)",
          origid_joined);
  counter("callguard_operations_runs_total", "operation groupings run", ops_runs);
  gauge("callguard_operations", "operations in the latest grouping", ops_operations);
  gauge("callguard_operations_last_run_ms", "duration of the latest grouping", ops_last_ms);
  gauge("callguard_investigation_numbers", "numbers in the live call set (calls of the window)",
        ops_numbers);
  gauge("callguard_victims_tracked", "people the victim grader follows", victims_tracked);
  sip_latency.Export("callguard_sip_added_latency",
                     "time from receiving an INVITE to sending its answer", &out);
  http_latency.Export("callguard_http_screen_latency",
                      "time from receiving POST /v1/screen to its answer", &out);
  return out;
}

}  // namespace callguard
