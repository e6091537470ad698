// Evaluation of an investigation against the simulator's truth.json: how well the operations
// found match the true ones (B-cubed precision/recall/F, adjusted Rand index), how many
// legitimate numbers were placed inside operations, whether distinct true operations came out
// distinct, and how well victims graded high or critical match the true victims.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "callguard/status.h"

namespace callguard::investigate {

struct TruthOperation {
  std::string id, type;
  std::vector<std::string> numbers, victims;
};

struct Truth {
  std::vector<TruthOperation> operations;
};

Result<Truth> LoadTruth(const std::string& path);

struct OpsEval {
  uint64_t items = 0;  // true scam numbers plus numbers placed in operations
  uint64_t truth_operations = 0, predicted_operations = 0;
  double bcubed_precision = 0, bcubed_recall = 0, bcubed_f = 0, ari = 0;
  uint64_t numbers_in_operations = 0, legit_in_operations = 0;
  double contamination = 0;  // legitimate share of the numbers placed in operations
  struct PerTruth {
    std::string id, type;
    uint64_t numbers = 0, grouped = 0;  // in any predicted operation
    std::string main_operation;         // predicted operation holding most of them
    double main_share = 0;              // share of its numbers in that operation
    double main_purity = 0;             // share of that operation's members that are its own
  };
  std::vector<PerTruth> per_truth;
  // Victims (when graded victims are given).
  bool has_victims = false;
  uint64_t true_victims = 0, flagged_high = 0, flagged_high_true = 0;
  double victim_precision = 0, victim_recall = 0;
  std::string Text() const;
  std::string Json() const;
};

// `membership`: number -> predicted operation id. `graded`: number -> grade (may be empty).
OpsEval EvaluateOps(const Truth& truth, const std::map<std::string, std::string>& membership,
                    const std::map<std::string, std::string>* graded);

// Reads membership.csv (number,operation,...) / victims.csv (number,grade,...).
Status ReadTwoColumns(const std::string& path, std::map<std::string, std::string>* out);

}  // namespace callguard::investigate
