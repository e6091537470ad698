// Evaluation: how well a run of verdicts caught the scams in labelled call records, and what it
// cost legitimate callers. Reads the calls (with `label` and `operation`), the verdicts (JSON
// Lines, matched by call_id), optionally the simulator's truth.json (operations, categories of
// legitimate high-volume callers) and optionally a baseline's verdicts for a side-by-side table.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "callguard/status.h"

namespace callguard::sim {

struct CallMetrics {
  uint64_t scam_calls = 0, legit_calls = 0;
  uint64_t blocked_scam = 0, blocked_legit = 0;
  uint64_t flagged_scam = 0, flagged_legit = 0;  // any action above allow
  double block_precision = 0, block_recall = 0, block_fpr = 0;
  double flag_precision = 0, flag_recall = 0, flag_fpr = 0;
  double block_precision_at_prevalence = 0;  // re-weighted to a realistic scam share
};

struct EvalOptions {
  double prevalence = 0.001;  // realistic share of scam calls for the re-weighted precision
};

struct EvalReport {
  CallMetrics calls;
  bool has_baseline = false;
  CallMetrics baseline;
  // Scam numbers (callers of scam calls).
  uint64_t scam_numbers = 0, scam_numbers_blocked = 0;
  double ttd_calls_median = 0, ttd_calls_p90 = 0;      // calls up to and including the first block
  double ttd_minutes_median = 0, ttd_minutes_p90 = 0;  // from its first call to its first block
  struct Operation {
    std::string id, type;
    uint64_t numbers = 0, numbers_blocked = 0, calls = 0, calls_blocked = 0, calls_flagged = 0;
  };
  std::vector<Operation> operations;
  struct Catch {
    std::string number, operation;
    double calls = 0, minutes = 0;  // until its first block
  };
  std::vector<Catch> slowest;  // the blocked scam numbers that took longest, slowest first
  struct Category {
    uint64_t numbers = 0, calls = 0, blocked = 0, flagged = 0;
  };
  std::map<std::string, Category> legit_categories;
  struct Harm {
    std::string number, category;
    uint64_t blocked_calls = 0;
    std::string reasons;  // reason codes of its first blocked call
  };
  std::vector<Harm> legit_blocked;  // legitimate numbers ever blocked
  // Series for the charts of the HTML report.
  int64_t first_hour_ms = 0;                    // start of the first hour with a call
  std::vector<std::array<uint64_t, 4>> hourly;  // calls per hour and action
  std::array<uint64_t, 20> score_hist_scam{}, score_hist_legit{};  // scores in 0.05 bins
  std::map<std::string, uint64_t> reason_counts;  // every reason code in the verdicts
  std::vector<double> ttd_calls;                  // time to detect of each blocked number
  uint64_t missing_verdicts = 0;
  uint64_t unlabelled = 0;
  uint64_t bad_verdict_lines = 0;  // lines of the verdict files that are not verdicts
  std::string
      first_bad_verdict;  // file:line of the first one  // calls without a label: not counted
  std::string Text() const;
  std::string Json() const;
  // A self-contained HTML report with charts drawn by Chart.js (`chartjs_source` is inlined).
  std::string Html(const std::string& title, const std::string& chartjs_source) const;
};

Result<EvalReport> Evaluate(const std::string& calls_path, const std::string& verdicts_path,
                            const std::string& truth_path, const std::string& baseline_path,
                            const EvalOptions& opt);

}  // namespace callguard::sim
