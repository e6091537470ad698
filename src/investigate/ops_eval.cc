#include "investigate/ops_eval.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "ingest/csv_splitter.h"

namespace callguard::investigate {

Result<Truth> LoadTruth(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError(path + ": cannot open");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("operations") ||
      !j["operations"].is_array())
    return Status::ParseError(path + ": not a truth.json (no operations array)");
  Truth t;
  for (const auto& o : j["operations"]) {
    if (!o.is_object()) continue;
    TruthOperation op;
    op.id = o.value("id", "");
    op.type = o.value("type", "");
    for (const auto& n : o.value("numbers", nlohmann::json::array()))
      if (n.is_string()) op.numbers.push_back(n.get<std::string>());
    for (const auto& n : o.value("victims", nlohmann::json::array()))
      if (n.is_string()) op.victims.push_back(n.get<std::string>());
    t.operations.push_back(std::move(op));
  }
  return t;
}

Status ReadTwoColumns(const std::string& path, std::map<std::string, std::string>* out) {
  std::ifstream in(path);
  if (!in) return Status::IoError(path + ": cannot open");
  std::string line, error;
  CsvSplitter split;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    if (n++ == 0) continue;  // header
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!split.Split(line, &error))
      return Status::ParseError(path + ":" + std::to_string(n) + ": " + error);
    const auto& f = split.fields();
    if (f.size() < 2)
      return Status::ParseError(path + ":" + std::to_string(n) + ": expected at least two columns");
    (*out)[std::string(f[0])] = std::string(f[1]);
  }
  return Status::Ok();
}

namespace {
double Comb2(double n) { return n * (n - 1) / 2; }
}  // namespace

OpsEval EvaluateOps(const Truth& truth, const std::map<std::string, std::string>& membership,
                    const std::map<std::string, std::string>* graded) {
  OpsEval ev;
  ev.truth_operations = truth.operations.size();
  std::unordered_map<std::string, std::string> true_op;  // scam number -> truth op
  for (const auto& o : truth.operations)
    for (const auto& n : o.numbers) true_op.emplace(n, o.id);
  std::set<std::string> items;
  for (const auto& [n, op] : true_op) items.insert(n);
  std::set<std::string> predicted;
  for (const auto& [n, op] : membership) {
    items.insert(n);
    predicted.insert(op);
  }
  ev.predicted_operations = predicted.size();
  ev.items = items.size();
  // Cluster labels over the items: unplaced numbers are singletons on the predicted side, and
  // legitimate numbers singletons on the true side.
  auto pred_of = [&](const std::string& n) {
    auto it = membership.find(n);
    return it == membership.end() ? "~" + n : it->second;
  };
  auto true_of = [&](const std::string& n) {
    auto it = true_op.find(n);
    return it == true_op.end() ? "~" + n : it->second;
  };
  std::map<std::pair<std::string, std::string>, uint64_t> joint;
  std::map<std::string, uint64_t> psize, tsize;
  for (const auto& n : items) {
    std::string p = pred_of(n), t = true_of(n);
    ++joint[{p, t}];
    ++psize[p];
    ++tsize[t];
  }
  double prec = 0, rec = 0;
  for (const auto& [pt, c] : joint) {
    // Each of the c items in this cell has precision c/|P| and recall c/|T|.
    prec += c * static_cast<double>(c) / psize[pt.first];
    rec += c * static_cast<double>(c) / tsize[pt.second];
  }
  if (!items.empty()) {
    ev.bcubed_precision = prec / items.size();
    ev.bcubed_recall = rec / items.size();
    double s = ev.bcubed_precision + ev.bcubed_recall;
    ev.bcubed_f = s > 0 ? 2 * ev.bcubed_precision * ev.bcubed_recall / s : 0;
    double index = 0, a = 0, b = 0;
    for (const auto& [pt, c] : joint) index += Comb2(c);
    for (const auto& [p, c] : psize) a += Comb2(c);
    for (const auto& [t, c] : tsize) b += Comb2(c);
    double expected = a * b / Comb2(static_cast<double>(items.size()));
    double max = (a + b) / 2;
    ev.ari = max - expected != 0 ? (index - expected) / (max - expected) : 1;
  }
  for (const auto& [n, op] : membership) {
    ++ev.numbers_in_operations;
    if (!true_op.count(n)) ++ev.legit_in_operations;
  }
  ev.contamination = ev.numbers_in_operations
                         ? static_cast<double>(ev.legit_in_operations) / ev.numbers_in_operations
                         : 0;
  std::map<std::string, uint64_t> pred_size;
  for (const auto& [n, op] : membership) ++pred_size[op];
  for (const auto& o : truth.operations) {
    OpsEval::PerTruth pt;
    pt.id = o.id;
    pt.type = o.type;
    pt.numbers = o.numbers.size();
    std::map<std::string, uint64_t> where;
    for (const auto& n : o.numbers) {
      auto it = membership.find(n);
      if (it == membership.end()) continue;
      ++pt.grouped;
      ++where[it->second];
    }
    uint64_t best = 0;
    for (const auto& [op, c] : where)
      if (c > best) {
        best = c;
        pt.main_operation = op;
      }
    pt.main_share = pt.numbers ? static_cast<double>(best) / pt.numbers : 0;
    pt.main_purity = best ? static_cast<double>(best) / pred_size[pt.main_operation] : 0;
    ev.per_truth.push_back(pt);
  }
  if (graded) {
    ev.has_victims = true;
    std::set<std::string> victims;
    for (const auto& o : truth.operations) victims.insert(o.victims.begin(), o.victims.end());
    ev.true_victims = victims.size();
    for (const auto& [n, g] : *graded) {
      if (g != "high" && g != "critical") continue;
      ++ev.flagged_high;
      ev.flagged_high_true += victims.count(n);
    }
    ev.victim_precision =
        ev.flagged_high ? static_cast<double>(ev.flagged_high_true) / ev.flagged_high : 0;
    ev.victim_recall =
        ev.true_victims ? static_cast<double>(ev.flagged_high_true) / ev.true_victims : 0;
  }
  return ev;
}

std::string OpsEval::Text() const {
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "operations: %llu true, %llu found\n"
                "B-cubed precision %.3f  recall %.3f  F %.3f   adjusted Rand index %.3f\n"
                "legitimate numbers inside operations: %llu of %llu (%.2f%%)\n",
                static_cast<unsigned long long>(truth_operations),
                static_cast<unsigned long long>(predicted_operations), bcubed_precision,
                bcubed_recall, bcubed_f, ari, static_cast<unsigned long long>(legit_in_operations),
                static_cast<unsigned long long>(numbers_in_operations), 100 * contamination);
  s += buf;
  s += "true operation              type          numbers  grouped  main operation   share  "
       "purity\n";
  for (const auto& p : per_truth) {
    std::snprintf(buf, sizeof buf, "%-27s %-13s %7llu  %7llu  %-15s  %5.3f  %5.3f\n", p.id.c_str(),
                  p.type.c_str(), static_cast<unsigned long long>(p.numbers),
                  static_cast<unsigned long long>(p.grouped),
                  p.main_operation.empty() ? "-" : p.main_operation.c_str(), p.main_share,
                  p.main_purity);
    s += buf;
  }
  if (has_victims) {
    std::snprintf(buf, sizeof buf,
                  "victims graded high or critical: %llu (%llu true of %llu true victims): "
                  "precision %.3f  recall %.3f\n",
                  static_cast<unsigned long long>(flagged_high),
                  static_cast<unsigned long long>(flagged_high_true),
                  static_cast<unsigned long long>(true_victims), victim_precision, victim_recall);
    s += buf;
  }
  return s;
}

std::string OpsEval::Json() const {
  nlohmann::ordered_json j;
  j["truth_operations"] = truth_operations;
  j["predicted_operations"] = predicted_operations;
  j["items"] = items;
  j["bcubed"] = {{"precision", bcubed_precision}, {"recall", bcubed_recall}, {"f", bcubed_f}};
  j["adjusted_rand_index"] = ari;
  j["numbers_in_operations"] = numbers_in_operations;
  j["legit_in_operations"] = legit_in_operations;
  j["contamination"] = contamination;
  auto pt = nlohmann::ordered_json::array();
  for (const auto& p : per_truth)
    pt.push_back({{"id", p.id},
                  {"type", p.type},
                  {"numbers", p.numbers},
                  {"grouped", p.grouped},
                  {"main_operation", p.main_operation},
                  {"main_share", p.main_share},
                  {"main_purity", p.main_purity}});
  j["per_operation"] = pt;
  if (has_victims)
    j["victims"] = {{"true_victims", true_victims},
                    {"graded_high_or_critical", flagged_high},
                    {"true_positives", flagged_high_true},
                    {"precision", victim_precision},
                    {"recall", victim_recall}};
  return j.dump(1);
}

}  // namespace callguard::investigate
