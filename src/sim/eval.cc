#include "sim/eval.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/config.h"
#include "core/number.h"
#include "core/time.h"
#include "ingest/cdr_reader.h"
#include "ingest/line_source.h"

namespace callguard::sim {

namespace {

struct Verdict {
  uint8_t action = 0;  // 0 allow, 1 label, 2 warn, 3 block
  float score = 0;
  std::string reasons;
};

uint8_t ActionCode(const std::string& a) {
  return a == "block" ? 3 : a == "warn" ? 2 : a == "label" ? 1 : 0;
}

// Lines that are not verdicts are counted and skipped (their calls then count as missing
// verdicts); the first is named in the report.
Status ReadVerdicts(const std::string& path, std::unordered_map<std::string, Verdict>* out,
                    std::map<std::string, uint64_t>* reason_counts, EvalReport* rep) {
  auto src = LineSource::Open(path, LineSource::Mode::kLines, 1 << 20);
  if (!src.ok()) return src.status();
  LineSource::Record rec;
  while ((*src)->Next(&rec)) {
    auto j = nlohmann::json::parse(rec.text.begin(), rec.text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("call_id") || !j.contains("action") ||
        !j["call_id"].is_string() || !j["action"].is_string()) {
      if (rep->bad_verdict_lines++ == 0)
        rep->first_bad_verdict = path + ":" + std::to_string(rec.line);
      continue;
    }
    Verdict v;
    v.action = ActionCode(j["action"].get<std::string>());
    v.score = j.contains("score") && j["score"].is_number() ? j["score"].get<float>() : 0.0f;
    if (j.contains("reasons")) {
      for (const auto& r : j["reasons"]) {
        if (!r.is_object() || !r.contains("code") || !r["code"].is_string()) continue;
        std::string code = r["code"].get<std::string>();
        if (reason_counts) ++(*reason_counts)[code];
        if (v.action != 3) continue;
        if (!v.reasons.empty()) v.reasons += ' ';
        v.reasons += code;
      }
    }
    (*out)[j["call_id"].get<std::string>()] = std::move(v);
  }
  return (*src)->status();
}

std::string FormatHour(int64_t ms) {
  std::string s = FormatRfc3339(ms);
  return s.substr(5, 8) + "h";  // "03-02T09h" (UTC)
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(q * v.size())) - 1;
  return v[std::min(i, v.size() - 1)];
}

void Finish(CallMetrics& m, double prevalence) {
  auto div = [](double a, double b) { return b > 0 ? a / b : 0; };
  m.block_precision = div(m.blocked_scam, m.blocked_scam + m.blocked_legit);
  m.block_recall = div(m.blocked_scam, m.scam_calls);
  m.block_fpr = div(m.blocked_legit, m.legit_calls);
  m.flag_precision = div(m.flagged_scam, m.flagged_scam + m.flagged_legit);
  m.flag_recall = div(m.flagged_scam, m.scam_calls);
  m.flag_fpr = div(m.flagged_legit, m.legit_calls);
  double tp = m.block_recall * prevalence, fp = m.block_fpr * (1 - prevalence);
  m.block_precision_at_prevalence = div(tp, tp + fp);
}

nlohmann::json ToJson(const CallMetrics& m) {
  return {{"scam_calls", m.scam_calls},
          {"legit_calls", m.legit_calls},
          {"block",
           {{"precision", m.block_precision},
            {"recall", m.block_recall},
            {"false_positive_rate", m.block_fpr},
            {"precision_at_prevalence", m.block_precision_at_prevalence},
            {"scam_blocked", m.blocked_scam},
            {"legit_blocked", m.blocked_legit}}},
          {"flagged",
           {{"precision", m.flag_precision},
            {"recall", m.flag_recall},
            {"false_positive_rate", m.flag_fpr},
            {"scam_flagged", m.flagged_scam},
            {"legit_flagged", m.flagged_legit}}}};
}

}  // namespace

Result<EvalReport> Evaluate(const std::string& calls_path, const std::string& verdicts_path,
                            const std::string& truth_path, const std::string& baseline_path,
                            const EvalOptions& opt) {
  std::unordered_map<std::string, Verdict> verdicts, baseline;
  EvalReport rep;
  CG_RETURN_IF_ERROR(ReadVerdicts(verdicts_path, &verdicts, &rep.reason_counts, &rep));
  if (!baseline_path.empty()) {
    CG_RETURN_IF_ERROR(ReadVerdicts(baseline_path, &baseline, nullptr, &rep));
    rep.has_baseline = true;
  }
  // Ground truth beyond the labels, when the simulator wrote it.
  std::unordered_map<std::string, std::string> category;  // legitimate number -> category
  std::unordered_map<std::string, size_t> op_index;
  std::unordered_map<std::string, bool> operation_numbers;  // the operations' own numbers
  if (!truth_path.empty()) {
    std::ifstream in(truth_path);
    if (!in) return Status::IoError(truth_path + ": cannot open");
    auto t = nlohmann::json::parse(in, nullptr, false);
    if (t.is_discarded() || !t.is_object()) return Status::ParseError(truth_path + ": not JSON");
    for (const auto& l : t.value("legitimate", nlohmann::json::array()))
      category[l.value("number", "")] = l.value("category", "other");
    for (const auto& o : t.value("operations", nlohmann::json::array())) {
      EvalReport::Operation op;
      op.id = o.value("id", "");
      op.type = o.value("type", "");
      op_index[op.id] = rep.operations.size();
      rep.operations.push_back(op);
      for (const auto& n : o.value("numbers", nlohmann::json::array()))
        operation_numbers[n.get<std::string>()] = true;
    }
  }
  for (const auto& [num, cat] : category) ++rep.legit_categories[cat].numbers;

  Config cfg = LoadConfig("").value();
  auto norm = Normaliser::Create(cfg.engine.region);
  auto reader = CdrReader::Open(calls_path, CdrFormat::kAuto, cfg, norm->get());
  if (!reader.ok()) return reader.status();
  struct NumberTrack {
    uint64_t calls = 0;
    int64_t first_ms = 0;
    bool blocked = false;
    double ttd_calls = 0, ttd_min = 0;
    std::string op;
  };
  std::unordered_map<std::string, NumberTrack> scam_numbers;
  std::unordered_map<std::string, EvalReport::Harm> harms;
  std::unordered_map<std::string, std::vector<std::string>> op_numbers;
  Call c;
  Rejected rej;
  for (;;) {
    auto o = (*reader)->Next(&c, &rej);
    if (o == CdrReader::Outcome::kEnd) break;
    if (o != CdrReader::Outcome::kCall) continue;
    auto it = verdicts.find(c.call_id);
    if (it == verdicts.end()) {
      ++rep.missing_verdicts;
      continue;
    }
    const Verdict& v = it->second;
    if (c.label == Label::kUnknown) {
      ++rep.unlabelled;
      continue;
    }
    bool scam = c.label == Label::kScam;
    if (rep.hourly.empty()) rep.first_hour_ms = c.start_ms - c.start_ms % 3600000;
    int64_t hour = (c.start_ms - rep.first_hour_ms) / 3600000;
    if (hour >= 0 && hour < 24 * 400) {
      if (rep.hourly.size() <= static_cast<size_t>(hour)) rep.hourly.resize(hour + 1);
      ++rep.hourly[hour][v.action];
    }
    int bin = std::clamp(static_cast<int>(v.score * 20), 0, 19);
    ++(scam ? rep.score_hist_scam : rep.score_hist_legit)[bin];
    auto count = [&](CallMetrics& m, uint8_t action) {
      (scam ? m.scam_calls : m.legit_calls)++;
      if (action == 3) (scam ? m.blocked_scam : m.blocked_legit)++;
      if (action >= 1) (scam ? m.flagged_scam : m.flagged_legit)++;
    };
    count(rep.calls, v.action);
    if (rep.has_baseline) {
      auto b = baseline.find(c.call_id);
      count(rep.baseline, b == baseline.end() ? 0 : b->second.action);
    }
    const std::string& caller = c.caller.text;
    // Per-number figures follow the operations' own numbers (with truth), not victims calling
    // a scam number back.
    bool track = scam && (operation_numbers.empty() || operation_numbers.count(caller));
    if (track) {
      NumberTrack& t = scam_numbers[caller];
      if (t.calls++ == 0) {
        t.first_ms = c.start_ms;
        t.op = c.operation;
      }
      if (v.action == 3 && !t.blocked) {
        t.blocked = true;
        t.ttd_calls = static_cast<double>(t.calls);
        t.ttd_min = (c.start_ms - t.first_ms) / 60000.0;
      }
    }
    if (scam) {
      auto oi = op_index.find(c.operation);
      if (oi == op_index.end() && !c.operation.empty()) {
        op_index[c.operation] = rep.operations.size();
        rep.operations.push_back({c.operation, "", 0, 0, 0, 0, 0});
        oi = op_index.find(c.operation);
      }
      if (oi != op_index.end()) {
        auto& op = rep.operations[oi->second];
        ++op.calls;
        op.calls_blocked += v.action == 3;
        op.calls_flagged += v.action >= 1;
      }
    } else {
      auto cat = category.find(caller);
      if (cat != category.end()) {
        auto& k = rep.legit_categories[cat->second];
        ++k.calls;
        k.blocked += v.action == 3;
        k.flagged += v.action >= 1;
      }
      if (v.action == 3) {
        auto& h = harms[caller];
        if (h.blocked_calls++ == 0) {
          h.number = caller;
          h.category = cat == category.end() ? "subscriber" : cat->second;
          h.reasons = v.reasons;
        }
      }
    }
  }
  if (!(*reader)->status().ok()) return (*reader)->status();
  Finish(rep.calls, opt.prevalence);
  if (rep.has_baseline) Finish(rep.baseline, opt.prevalence);

  std::vector<double> ttd_calls, ttd_min;
  for (const auto& [num, t] : scam_numbers) {
    ++rep.scam_numbers;
    auto oi = op_index.find(t.op);
    if (oi != op_index.end()) {
      ++rep.operations[oi->second].numbers;
      rep.operations[oi->second].numbers_blocked += t.blocked;
    }
    if (!t.blocked) continue;
    ++rep.scam_numbers_blocked;
    rep.slowest.push_back({num, t.op, t.ttd_calls, t.ttd_min});
    ttd_calls.push_back(t.ttd_calls);
    ttd_min.push_back(t.ttd_min);
  }
  std::sort(rep.slowest.begin(), rep.slowest.end(), [](const auto& a, const auto& b) {
    return a.calls != b.calls ? a.calls > b.calls : a.number < b.number;
  });
  if (rep.slowest.size() > 10) rep.slowest.resize(10);
  rep.ttd_calls = ttd_calls;
  rep.ttd_calls_median = Quantile(ttd_calls, 0.5);
  rep.ttd_calls_p90 = Quantile(ttd_calls, 0.9);
  rep.ttd_minutes_median = Quantile(ttd_min, 0.5);
  rep.ttd_minutes_p90 = Quantile(ttd_min, 0.9);
  for (auto& [num, h] : harms) rep.legit_blocked.push_back(h);
  std::sort(rep.legit_blocked.begin(), rep.legit_blocked.end(),
            [](const auto& a, const auto& b) { return a.blocked_calls > b.blocked_calls; });
  return rep;
}

std::string EvalReport::Json() const {
  nlohmann::json j;
  j["calls"] = ToJson(calls);
  if (has_baseline) j["baseline"] = ToJson(baseline);
  j["scam_numbers"] = {
      {"numbers", scam_numbers},
      {"blocked", scam_numbers_blocked},
      {"share_blocked", scam_numbers ? double(scam_numbers_blocked) / scam_numbers : 0},
      {"time_to_detect_calls", {{"median", ttd_calls_median}, {"p90", ttd_calls_p90}}},
      {"time_to_detect_minutes", {{"median", ttd_minutes_median}, {"p90", ttd_minutes_p90}}}};
  j["slowest_catches"] = nlohmann::json::array();
  for (const auto& c : slowest)
    j["slowest_catches"].push_back({{"number", c.number},
                                    {"operation", c.operation},
                                    {"calls", c.calls},
                                    {"minutes", c.minutes}});
  j["operations"] = nlohmann::json::array();
  for (const auto& o : operations)
    j["operations"].push_back({{"id", o.id},
                               {"type", o.type},
                               {"numbers", o.numbers},
                               {"numbers_blocked", o.numbers_blocked},
                               {"calls", o.calls},
                               {"calls_blocked", o.calls_blocked},
                               {"calls_flagged", o.calls_flagged}});
  j["legit_categories"] = nlohmann::json::object();
  for (const auto& [name, k] : legit_categories)
    j["legit_categories"][name] = {{"numbers", k.numbers},
                                   {"calls", k.calls},
                                   {"blocked", k.blocked},
                                   {"flagged", k.flagged},
                                   {"block_rate", k.calls ? double(k.blocked) / k.calls : 0}};
  j["legit_numbers_blocked"] = nlohmann::json::array();
  for (const auto& h : legit_blocked)
    j["legit_numbers_blocked"].push_back({{"number", h.number},
                                          {"category", h.category},
                                          {"blocked_calls", h.blocked_calls},
                                          {"reasons", h.reasons}});
  j["missing_verdicts"] = missing_verdicts;
  j["unlabelled_calls"] = unlabelled;
  j["bad_verdict_lines"] = bad_verdict_lines;
  return j.dump(2) + "\n";
}

std::string EvalReport::Html(const std::string& title, const std::string& chartjs) const {
  nlohmann::json d;
  d["title"] = title;
  nlohmann::json hours = nlohmann::json::array(), series = nlohmann::json::array();
  for (size_t h = 0; h < hourly.size(); ++h)
    hours.push_back(FormatHour(first_hour_ms + h * 3600000LL));
  for (int a = 0; a < 4; ++a) {
    nlohmann::json v = nlohmann::json::array();
    for (const auto& row : hourly) v.push_back(row[a]);
    series.push_back(v);
  }
  d["hours"] = hours;
  d["actions"] = series;
  d["score_scam"] = score_hist_scam;
  d["score_legit"] = score_hist_legit;
  std::vector<std::pair<std::string, uint64_t>> top(reason_counts.begin(), reason_counts.end());
  std::sort(top.begin(), top.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (top.size() > 15) top.resize(15);
  d["reasons"] = top;
  std::array<uint64_t, 12> ttd{};  // 1-5, 6-10, ..., 51-55, >55 calls
  for (double t : ttd_calls) ++ttd[std::min<size_t>(11, static_cast<size_t>((t - 1) / 5))];
  d["ttd"] = ttd;
  d["summary"] = nlohmann::json::parse(Json());
  std::string data = d.dump();
  // Keep "</" out of the inline script.
  for (size_t p = 0; (p = data.find("</", p)) != std::string::npos; p += 3)
    data.replace(p, 2, "<\\/");
  std::string h;
  h += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  for (char c : title) {
    if (c == '<') {
      h += "&lt;";
    } else if (c == '>') {
      h += "&gt;";
    } else if (c == '&') {
      h += "&amp;";
    } else {
      h += c;
    }
  }
  h += "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
       "h1{font-size:1.4em}.grid{display:grid;grid-template-columns:1fr 1fr;gap:2em}"
       "pre{background:#f4f4f4;padding:1em;overflow:auto;font-size:12px}</style>\n<script>";
  h += chartjs;
  h +=
      "</script></head><body>\n<h1 id=\"title\"></h1>\n<div class=\"grid\">"
      "<div><h2>Actions per hour</h2><canvas id=\"actions\"></canvas></div>"
      "<div><h2>Scores of scam and legitimate calls</h2><canvas id=\"scores\"></canvas></div>"
      "<div><h2>Top reason codes</h2><canvas id=\"reasons\"></canvas></div>"
      "<div><h2>Time to detect (calls until the first block)</h2><canvas id=\"ttd\"></canvas></div>"
      "</div>\n<h2>Summary</h2><pre id=\"summary\"></pre>\n<script>\nconst D = ";
  h += data;
  h += R"JS(;
document.getElementById('title').textContent = D.title;
document.getElementById('summary').textContent = JSON.stringify(D.summary, null, 2);
const colors = ['#9e9e9e', '#fbc02d', '#fb8c00', '#d32f2f'];
new Chart(document.getElementById('actions'), {type: 'bar',
  data: {labels: D.hours, datasets: ['allow', 'label', 'warn', 'block'].map((a, i) =>
    ({label: a, data: D.actions[i], backgroundColor: colors[i], hidden: i === 0}))},
  options: {scales: {x: {stacked: true}, y: {stacked: true}}}});
const bins = [...Array(20).keys()].map(i => (i / 20).toFixed(2));
new Chart(document.getElementById('scores'), {type: 'bar',
  data: {labels: bins, datasets: [
    {label: 'scam', data: D.score_scam, backgroundColor: '#d32f2f'},
    {label: 'legitimate', data: D.score_legit, backgroundColor: '#1976d2'}]},
  options: {scales: {y: {type: 'logarithmic'}}}});
new Chart(document.getElementById('reasons'), {type: 'bar',
  data: {labels: D.reasons.map(r => r[0]), datasets: [{label: 'calls', data: D.reasons.map(r => r[1]),
    backgroundColor: '#5e35b1'}]}, options: {indexAxis: 'y'}});
new Chart(document.getElementById('ttd'), {type: 'bar',
  data: {labels: ['1-5','6-10','11-15','16-20','21-25','26-30','31-35','36-40','41-45','46-50','51-55','>55'],
    datasets: [{label: 'scam numbers', data: D.ttd, backgroundColor: '#00897b'}]}});
</script></body></html>
)JS";
  return h;
}

std::string EvalReport::Text() const {
  std::string s;
  char b[512];
  auto row = [&](const char* name, const CallMetrics& m) {
    std::snprintf(b, sizeof b,
                  "%-10s block: precision %6.2f%%  recall %6.2f%%  FPR %.5f%%  (precision at "
                  "real prevalence %.2f%%)\n%-10s any action: precision %6.2f%%  recall %6.2f%%  "
                  "FPR %.4f%%\n",
                  name, 100 * m.block_precision, 100 * m.block_recall, 100 * m.block_fpr,
                  100 * m.block_precision_at_prevalence, "", 100 * m.flag_precision,
                  100 * m.flag_recall, 100 * m.flag_fpr);
    s += b;
  };
  std::snprintf(b, sizeof b, "calls: %llu scam, %llu legitimate%s%s\n",
                static_cast<unsigned long long>(calls.scam_calls),
                static_cast<unsigned long long>(calls.legit_calls),
                missing_verdicts ? " (some calls had no verdict)" : "",
                unlabelled ? " (calls without a label were left out)" : "");
  s += b;
  if (bad_verdict_lines) {
    std::snprintf(b, sizeof b,
                  "warning: %llu lines of the verdict files were not verdicts (first: %s)\n",
                  static_cast<unsigned long long>(bad_verdict_lines), first_bad_verdict.c_str());
    s += b;
  }
  row("callguard", calls);
  if (has_baseline) row("baseline", baseline);
  std::snprintf(b, sizeof b,
                "scam numbers: %llu, blocked %llu (%.1f%%); time to detect: median %.0f calls / "
                "%.0f min, p90 %.0f calls / %.0f min\n",
                static_cast<unsigned long long>(scam_numbers),
                static_cast<unsigned long long>(scam_numbers_blocked),
                scam_numbers ? 100.0 * scam_numbers_blocked / scam_numbers : 0.0, ttd_calls_median,
                ttd_minutes_median, ttd_calls_p90, ttd_minutes_p90);
  s += b;
  for (size_t i = 0; i < std::min<size_t>(5, slowest.size()); ++i) {
    std::snprintf(b, sizeof b, "  slow catch: %s (%s) blocked at call %.0f, after %.0f min\n",
                  slowest[i].number.c_str(), slowest[i].operation.c_str(), slowest[i].calls,
                  slowest[i].minutes);
    s += b;
  }
  for (const auto& o : operations) {
    std::snprintf(b, sizeof b,
                  "  operation %-14s %-12s numbers %llu/%llu blocked, calls %.1f%% blocked, "
                  "%.1f%% flagged\n",
                  o.id.c_str(), o.type.c_str(), static_cast<unsigned long long>(o.numbers_blocked),
                  static_cast<unsigned long long>(o.numbers),
                  o.calls ? 100.0 * o.calls_blocked / o.calls : 0.0,
                  o.calls ? 100.0 * o.calls_flagged / o.calls : 0.0);
    s += b;
  }
  for (const auto& [name, k] : legit_categories) {
    std::snprintf(
        b, sizeof b, "  legitimate %-14s %llu numbers, %llu calls, %llu blocked, %llu flagged\n",
        name.c_str(), static_cast<unsigned long long>(k.numbers),
        static_cast<unsigned long long>(k.calls), static_cast<unsigned long long>(k.blocked),
        static_cast<unsigned long long>(k.flagged));
    s += b;
  }
  std::snprintf(b, sizeof b, "legitimate numbers ever blocked: %zu\n", legit_blocked.size());
  s += b;
  for (size_t i = 0; i < std::min<size_t>(10, legit_blocked.size()); ++i) {
    const auto& h = legit_blocked[i];
    std::snprintf(b, sizeof b, "  %s (%s): %llu blocked calls; first: %s\n", h.number.c_str(),
                  h.category.c_str(), static_cast<unsigned long long>(h.blocked_calls),
                  h.reasons.c_str());
    s += b;
  }
  return s;
}

}  // namespace callguard::sim
