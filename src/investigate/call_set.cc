#include "investigate/call_set.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "ingest/cdr_reader.h"
#include "ingest/line_source.h"

namespace callguard::investigate {

const char* AttrKindName(AttrKind k) {
  switch (k) {
    case AttrKind::kDevice:
      return "device";
    case AttrKind::kAddressBlock:
      return "address_block";
    case AttrKind::kTrunk:
      return "trunk";
    case AttrKind::kCell:
      return "cell";
    case AttrKind::kOrigid:
      return "origid";
    default:
      return "?";
  }
}

std::string AddressBlock(const IpAddress& ip) {
  char buf[64];
  const uint8_t* b = ip.bytes;
  if (ip.is_v4()) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.0/24", b[12], b[13], b[14]);
  } else {
    std::snprintf(buf, sizeof buf, "%x:%x:%x:%x::/64", (b[0] << 8) | b[1], (b[2] << 8) | b[3],
                  (b[4] << 8) | b[5], (b[6] << 8) | b[7]);
  }
  return buf;
}

CallSet::CallSet(const Config& cfg) : cfg_(cfg) {
  auto n = Normaliser::Create(cfg.engine.region);
  norm_ = n.ok() ? std::move(n).value() : Normaliser::Create("CN").value();
}

uint32_t CallSet::Intern(const Number& n) {
  uint64_t key = n.key;
  if (key == 0) {
    // Withheld callers share one entry: they can never be linked to anything.
    auto it = by_text_.find("");
    if (it != by_text_.end()) return it->second;
  } else {
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
  }
  uint32_t id = static_cast<uint32_t>(numbers_.size());
  NumberInfo info;
  info.text = key == 0 ? "" : n.text;
  info.key = key;
  info.withheld = key == 0;
  numbers_.push_back(std::move(info));
  if (key == 0)
    by_text_[""] = id;
  else {
    by_key_[key] = id;
    by_text_[n.text] = id;
  }
  return id;
}

uint32_t CallSet::Find(const std::string& text) const {
  auto it = by_text_.find(text);
  return it == by_text_.end() ? UINT32_MAX : it->second;
}

std::string CallSet::AttrIndexKey(AttrKind k, const std::string& v) {
  std::string key;
  key.reserve(v.size() + 2);
  key.push_back(static_cast<char>('0' + static_cast<int>(k)));
  key.push_back('\x1f');
  key += v;
  return key;
}

uint32_t CallSet::InternAttr(AttrKind k, const std::string& v, uint32_t caller) {
  auto [it, fresh] =
      attr_index_.try_emplace(AttrIndexKey(k, v), static_cast<uint32_t>(attrs_.size()));
  if (fresh) attrs_.push_back({k, v, 0});
  uint32_t id = it->second;
  if (attr_caller_.emplace((static_cast<uint64_t>(id) << 32) | caller, true).second)
    ++attrs_[id].callers;
  return id;
}

size_t CallSet::Add(const Call& c) {
  CallRec r;
  r.t_ms = c.start_ms;
  r.caller = Intern(c.caller);
  r.callee = Intern(c.callee);
  r.answered = c.answered;
  r.duration_s = static_cast<float>(c.duration_s);
  r.ring_s = static_cast<float>(c.ring_s);
  r.ingress = c.ingress;
  if (!c.origin_country.empty()) {
    auto [it, fresh] =
        country_index_.try_emplace(c.origin_country, static_cast<uint16_t>(countries_.size()));
    if (fresh && countries_.size() < 65535) countries_.push_back(c.origin_country);
    r.country = fresh && countries_.size() >= 65535 ? 0 : it->second;
  }
  if (!numbers_[r.caller].withheld) {
    auto set = [&](AttrKind k, const std::string& v) {
      if (!v.empty()) r.attr[static_cast<int>(k)] = InternAttr(k, v, r.caller);
    };
    set(AttrKind::kDevice, c.imei);
    if (c.origin_ip.present) set(AttrKind::kAddressBlock, AddressBlock(c.origin_ip));
    // A trunk is the route a call entered by: qualified by the origin country, so that one
    // international gateway carrying many countries' traffic is several routes.
    if (!c.trunk.empty())
      set(AttrKind::kTrunk, c.origin_country.empty() ? c.trunk : c.trunk + "/" + c.origin_country);
    set(AttrKind::kCell, c.cell);
    set(AttrKind::kOrigid, c.origid);
  }
  ++numbers_[r.caller].calls_out;
  ++numbers_[r.callee].calls_in;
  if (c.label == Label::kScam) ++numbers_[r.caller].scam_calls;
  if (c.label == Label::kLegit) ++numbers_[r.caller].legit_calls;
  calls_.push_back(r);
  ++stats_.calls;
  return calls_.size() - 1;
}

void CallSet::NoteVerdict(uint32_t caller, float score, uint8_t action) {
  if (caller >= numbers_.size()) return;
  NumberInfo& n = numbers_[caller];
  n.max_score = std::max(n.max_score, score);
  n.max_action = std::max(n.max_action, action);
}

void CallSet::Trim(int64_t cutoff_ms) {
  auto it = std::find_if(calls_.begin(), calls_.end(),
                         [&](const CallRec& r) { return r.t_ms >= cutoff_ms; });
  calls_.erase(calls_.begin(), it);
}

void CallSet::Compact() {
  constexpr uint32_t kGone = UINT32_MAX;
  // Worth rebuilding the indexes only once a quarter of the interned numbers is unused.
  {
    std::vector<bool> used(numbers_.size());
    size_t n = 0;
    for (const CallRec& r : calls_) {
      if (!used[r.caller]) used[r.caller] = true, ++n;
      if (!used[r.callee]) used[r.callee] = true, ++n;
    }
    if (n * 4 > numbers_.size() * 3) return;
  }
  std::vector<uint32_t> num_map(numbers_.size(), kGone), attr_map(attrs_.size(), kGone);
  std::vector<NumberInfo> numbers;
  std::vector<Attribute> attrs;
  auto keep_number = [&](uint32_t id) {
    if (num_map[id] == kGone) {
      num_map[id] = static_cast<uint32_t>(numbers.size());
      NumberInfo n = std::move(numbers_[id]);
      n.calls_out = n.calls_in = 0;  // the label counts (evaluation only) are kept as they were
      numbers.push_back(std::move(n));
    }
    return num_map[id];
  };
  for (CallRec& r : calls_) {
    r.caller = keep_number(r.caller);
    r.callee = keep_number(r.callee);
    ++numbers[r.caller].calls_out;
    ++numbers[r.callee].calls_in;
    for (uint32_t& a : r.attr) {
      if (a == kNoAttr) continue;
      if (attr_map[a] == kGone) {
        attr_map[a] = static_cast<uint32_t>(attrs.size());
        attrs.push_back({attrs_[a].kind, std::move(attrs_[a].value), 0});
      }
      a = attr_map[a];
    }
  }
  numbers_ = std::move(numbers);
  attrs_ = std::move(attrs);
  // Fresh indexes (a cleared table would keep its old buckets).
  by_key_ = {};
  by_text_ = {};
  for (uint32_t i = 0; i < numbers_.size(); ++i) {
    const NumberInfo& n = numbers_[i];
    if (n.withheld) {
      by_text_[""] = i;
    } else {
      by_key_[n.key] = i;
      by_text_[n.text] = i;
    }
  }
  attr_index_ = {};
  for (uint32_t i = 0; i < attrs_.size(); ++i)
    attr_index_.emplace(AttrIndexKey(attrs_[i].kind, attrs_[i].value), i);
  attr_caller_ = {};
  for (const CallRec& r : calls_)
    for (uint32_t a : r.attr)
      if (a != kNoAttr &&
          attr_caller_.emplace((static_cast<uint64_t>(a) << 32) | r.caller, true).second)
        ++attrs_[a].callers;
}

uint64_t CallSet::DistinctCallees() const {
  std::vector<bool> seen(numbers_.size());
  uint64_t n = 0;
  for (const CallRec& r : calls_)
    if (!seen[r.callee]) {
      seen[r.callee] = true;
      ++n;
    }
  return n;
}

Status CallSet::LoadCalls(const std::string& path) {
  auto reader = CdrReader::Open(path, CdrFormat::kAuto, cfg_, norm_.get());
  if (!reader.ok()) return reader.status();
  Call c;
  Rejected rej;
  for (;;) {
    auto o = (*reader)->Next(&c, &rej);
    if (o == CdrReader::Outcome::kEnd) break;
    if (o == CdrReader::Outcome::kRejected) {
      ++stats_.rejected;
      continue;
    }
    Add(c);
  }
  return (*reader)->status();
}

namespace {

// The contract's verdict lines put "caller", "score" and "action" at the top level; a fast scan
// finds them, and anything unusual goes through the JSON parser.
bool FastVerdict(std::string_view line, std::string* caller, float* score, uint8_t* action) {
  auto str_after = [&](std::string_view key, std::string_view* out) {
    size_t p = line.find(key);
    if (p == std::string_view::npos) return false;
    p += key.size();
    size_t e = line.find('"', p);
    if (e == std::string_view::npos) return false;
    *out = line.substr(p, e - p);
    return out->find('\\') == std::string_view::npos;
  };
  std::string_view c, a;
  if (!str_after("\"caller\":\"", &c) || !str_after("\"action\":\"", &a)) return false;
  size_t p = line.find("\"score\":");
  if (p == std::string_view::npos) return false;
  char* end = nullptr;
  std::string num(line.substr(p + 8, 24));
  *score = std::strtof(num.c_str(), &end);
  if (end == num.c_str()) return false;
  *caller = std::string(c);
  *action = a == "block" ? 3 : a == "warn" ? 2 : a == "label" ? 1 : 0;
  return true;
}

}  // namespace

Status CallSet::LoadVerdicts(const std::string& path) {
  auto src = LineSource::Open(path, LineSource::Mode::kLines, 1 << 20);
  if (!src.ok()) return src.status();
  LineSource::Record rec;
  std::string caller;
  while ((*src)->Next(&rec)) {
    float score = 0;
    uint8_t action = 0;
    if (!FastVerdict(rec.text, &caller, &score, &action)) {
      auto j = nlohmann::json::parse(rec.text.begin(), rec.text.end(), nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("caller") || !j["caller"].is_string() ||
          !j.contains("action") || !j["action"].is_string()) {
        if (stats_.bad_verdict_lines++ == 0)
          stats_.first_bad_verdict = path + ":" + std::to_string(rec.line);
        continue;
      }
      caller = j["caller"].get<std::string>();
      score = j.contains("score") && j["score"].is_number() ? j["score"].get<float>() : 0.0f;
      std::string a = j["action"].get<std::string>();
      action = a == "block" ? 3 : a == "warn" ? 2 : a == "label" ? 1 : 0;
    }
    ++stats_.verdicts;
    uint32_t id = Find(caller);
    if (id == UINT32_MAX) {
      ++stats_.verdicts_unmatched;
      continue;
    }
    NoteVerdict(id, score, action);
  }
  return (*src)->status();
}

}  // namespace callguard::investigate
