#include "sim/simulator.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

#include "core/time.h"

namespace callguard::sim {

namespace {

// splitmix64: small, fast, and good enough for simulation; one stream per population.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double U() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
  uint64_t Below(uint64_t n) {
    return n ? static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64) : 0;
  }
  bool Chance(double p) { return U() < p; }
  double Normal() {
    double u1 = U() + 1e-300, u2 = U();
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }
  double Exp(double mean) { return -mean * std::log(1 - U()); }
  int Poisson(double mean) {  // normal approximation above 30
    if (mean > 30)
      return std::max(0, static_cast<int>(std::lround(mean + std::sqrt(mean) * Normal())));
    double l = std::exp(-mean), p = 1;
    int k = 0;
    do {
      ++k;
      p *= U();
    } while (p > l);
    return k - 1;
  }
};

uint64_t StreamSeed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

enum class Kind : uint8_t { kSubscriber, kLegit, kScam, kSpoofed };
enum IngressCode : uint8_t { kMobile = 0, kFixed, kVoip, kInternational, kInterconnect };
constexpr const char* kIngressNames[] = {"mobile", "fixed", "voip", "international",
                                         "interconnect"};

struct NumberInfo {
  std::string text;
  Kind kind = Kind::kSubscriber;
  int8_t age = -1;  // 0 <18, 1 18-39, 2 40-59, 3 60+
  bool vulnerable = false;
  bool enterprise = false;
  std::string registered_name;
  int64_t activation_day = INT64_MIN;
};

struct SimCall {
  int64_t t_ms;
  uint32_t caller, callee;
  float duration, ring;
  uint16_t op;  // 0 = none, else operation index + 1
  uint8_t answered, ingress, scam, attested;
  uint16_t origin;  // index into origins (0 = none)
  uint32_t ip;      // IPv4, 0 = none
  uint32_t imei;    // 0 = none
  uint32_t cell;    // 0 = none
};

class Sim {
 public:
  Sim(const Scenario& sc, uint64_t seed) : sc_(sc), seed_(seed) {
    int64_t ms;
    ParseTimestamp(sc.start_date + "T00:00:00Z", 0, &ms);
    day0_ms_ = ms - static_cast<int64_t>(sc.utc_offset_min) * 60000;
    origins_.push_back("");
  }

  void Run() {
    Subscribers();
    for (const auto& l : sc_.legit) Legit(l);
    for (size_t i = 0; i < sc_.operations.size(); ++i) Operation(sc_.operations[i], i);
    std::stable_sort(calls_.begin(), calls_.end(),
                     [](const SimCall& a, const SimCall& b) { return a.t_ms < b.t_ms; });
  }

  Status Write(const std::string& dir, SimulationSummary* sum);

 private:
  // --- numbers -----------------------------------------------------------------------------
  uint32_t NewMobile(Kind kind) {
    static const int kPrefixes[] = {130, 131, 132, 133, 135, 136, 137, 138, 139, 150,
                                    151, 152, 155, 156, 157, 158, 159, 176, 177, 178,
                                    180, 181, 182, 183, 185, 186, 187, 188, 189, 199};
    uint64_t i = mobile_next_++;
    uint64_t body = (i / 30 * 7919 + 1234567) % 100000000;  // a bijection: no sequences
    char buf[24];
    std::snprintf(buf, sizeof buf, "+86%d%08llu", kPrefixes[i % 30],
                  static_cast<unsigned long long>(body));
    return AddNumber(buf, kind);
  }
  uint32_t NewFixed(Kind kind) {
    static const char* kAreas[] = {"10", "21", "20", "755", "571", "28"};
    uint64_t i = fixed_next_++;
    const char* area = kAreas[i % 6];
    // Local numbers in these cities have 8 digits and start with 2-8.
    uint64_t body = 20000000 + (i / 6 * 7919 + 2345671) % 60000000;
    char buf[24];
    std::snprintf(buf, sizeof buf, "+86%s%08llu", area, static_cast<unsigned long long>(body));
    return AddNumber(buf, kind);
  }
  uint32_t AddNumber(const std::string& text, Kind kind) {
    NumberInfo n;
    n.text = text;
    n.kind = kind;
    numbers_.push_back(std::move(n));
    return static_cast<uint32_t>(numbers_.size() - 1);
  }
  uint16_t Origin(const std::string& cc) {
    for (size_t i = 0; i < origins_.size(); ++i)
      if (origins_[i] == cc) return static_cast<uint16_t>(i);
    origins_.push_back(cc);
    return static_cast<uint16_t>(origins_.size() - 1);
  }

  // --- time --------------------------------------------------------------------------------
  // A moment on day `d` drawn from the population's daily rhythm (local time).
  int64_t DiurnalTime(int d, Rng& r) {
    // Share of a person's calls per local hour: quiet at night, peaks late morning and evening.
    static const double kWeights[24] = {0.3, 0.15, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5,
                                        4.5, 6.0,  6.5, 6.5, 5.5, 5.0, 5.5, 5.5,
                                        5.5, 6.0,  6.5, 7.0, 6.5, 5.0, 3.0, 1.2};
    static double total = [] {
      double t = 0;
      for (double w : kWeights) t += w;
      return t;
    }();
    double x = r.U() * total;
    int h = 0;
    while (h < 23 && x >= kWeights[h]) x -= kWeights[h++];
    return day0_ms_ + d * 86400000LL + h * 3600000LL + static_cast<int64_t>(r.U() * 3600000);
  }
  int64_t WorkTime(int d, int start_h, int end_h, Rng& r) {
    double span = std::max(1, end_h - start_h) * 3600000.0;
    return day0_ms_ + d * 86400000LL + start_h * 3600000LL + static_cast<int64_t>(r.U() * span);
  }

  SimCall Base(int64_t t, uint32_t a, uint32_t b, uint8_t ingress) {
    SimCall c{};
    c.t_ms = t;
    c.caller = a;
    c.callee = b;
    c.ingress = ingress;
    return c;
  }
  void Outcome(SimCall& c, Rng& r, double answer, double talk_median, double sigma) {
    c.answered = r.Chance(answer);
    c.duration =
        c.answered ? static_cast<float>(std::max(1.0, std::round(r.LogNormal(talk_median, sigma))))
                   : 0;
    c.ring = static_cast<float>(std::round(c.answered ? r.LogNormal(8, 0.5) : 20 + r.U() * 25));
  }

  // --- populations -------------------------------------------------------------------------
  void Subscribers();
  void Legit(const LegitParams& p);
  void Operation(const OperationParams& p, size_t index);
  std::vector<uint32_t> TargetList(int size, double elderly_bias, Rng& r);
  void ScamCall(const OperationParams& p, uint16_t op, int64_t t, uint32_t caller, uint32_t callee,
                uint8_t ingress, Rng& r, SimCall extra);

  const Scenario& sc_;
  uint64_t seed_;
  int64_t day0_ms_;
  uint64_t mobile_next_ = 0, fixed_next_ = 0;
  std::vector<NumberInfo> numbers_;
  std::vector<std::string> origins_;
  std::vector<uint32_t> subscribers_;  // primary number of each subscriber
  std::vector<SimCall> calls_;
  nlohmann::json truth_ops_ = nlohmann::json::array();
  nlohmann::json truth_legit_ = nlohmann::json::array();
};

void Sim::Subscribers() {
  const SubscriberParams& p = sc_.subscribers;
  Rng r(StreamSeed(seed_, "subscribers"));
  const int n = p.count;
  subscribers_.resize(n);
  std::vector<uint32_t> second(n, UINT32_MAX);
  for (int i = 0; i < n; ++i) {
    subscribers_[i] = NewMobile(Kind::kSubscriber);
    NumberInfo& info = numbers_[subscribers_[i]];
    double a = r.U();
    // Age mix: <18 10%, 60+ elderly_share, the rest split between 18-39 and 40-59.
    info.age = a < 0.10                         ? 0
               : a < 0.10 + p.elderly_share     ? 3
               : a < 0.55 + p.elderly_share / 2 ? 1
                                                : 2;
    info.vulnerable = info.age == 3 && r.Chance(p.vulnerable_share_of_elderly);
    if (r.Chance(p.second_number_share)) {
      int8_t age = info.age;  // NewMobile may move numbers_: copy first
      second[i] = NewMobile(Kind::kSubscriber);
      numbers_[second[i]].age = age;
    }
  }
  // Contact lists: heavy-tailed sizes; most contacts nearby (a community), some anywhere.
  std::vector<uint32_t> offsets(n + 1), contacts;
  for (int i = 0; i < n; ++i) {
    offsets[i] = static_cast<uint32_t>(contacts.size());
    int k = std::clamp(static_cast<int>(r.LogNormal(p.contacts_median, p.contacts_sigma)), 1, 300);
    for (int j = 0; j < k; ++j) {
      int64_t c = r.Chance(0.75) ? i + static_cast<int64_t>(r.Below(601)) - 300
                                 : static_cast<int64_t>(r.Below(n));
      c = ((c % n) + n) % n;
      if (c == i) c = (c + 1) % n;
      contacts.push_back(static_cast<uint32_t>(c));
    }
  }
  offsets[n] = static_cast<uint32_t>(contacts.size());
  for (int d = 0; d < sc_.days; ++d) {
    for (int i = 0; i < n; ++i) {
      int calls = r.Poisson(r.LogNormal(p.calls_per_day_median, p.calls_per_day_sigma));
      uint32_t k = offsets[i + 1] - offsets[i];
      for (int c = 0; c < calls; ++c) {
        // Favourite contacts get most calls (Zipf-like over the list).
        uint32_t rank =
            static_cast<uint32_t>(std::min<double>(k - 1, std::floor(std::pow(r.U(), 2.2) * k)));
        uint32_t callee_sub = contacts[offsets[i] + rank];
        uint32_t from = second[i] != UINT32_MAX && r.Chance(0.3) ? second[i] : subscribers_[i];
        int64_t t = DiurnalTime(d, r);
        double answer = numbers_[subscribers_[callee_sub]].age == 3
                            ? std::min(1.0, p.answer_rate + 0.05)
                            : p.answer_rate;
        SimCall call = Base(t, from, subscribers_[callee_sub], kMobile);
        Outcome(call, r, answer, p.talk_median_s, p.talk_sigma);
        calls_.push_back(call);
        if (r.Chance(call.answered ? p.return_call_share : 0.5)) {
          // Returned later (missed calls are returned more often).
          SimCall back = Base(t + static_cast<int64_t>(60000 + r.Exp(3600000)),
                              subscribers_[callee_sub], from, kMobile);
          Outcome(back, r, p.answer_rate, p.talk_median_s, p.talk_sigma);
          calls_.push_back(back);
        }
      }
    }
  }
}

void Sim::Legit(const LegitParams& p) {
  Rng r(StreamSeed(seed_, "legit/" + p.category));
  uint8_t ingress = p.ingress == "fixed"          ? kFixed
                    : p.ingress == "voip"         ? kVoip
                    : p.ingress == "interconnect" ? kInterconnect
                                                  : kMobile;
  for (int k = 0; k < p.numbers; ++k) {
    uint32_t num = p.number_kind == "fixed" ? NewFixed(Kind::kLegit) : NewMobile(Kind::kLegit);
    bool registered = r.Chance(p.registered_share);
    NumberInfo& info = numbers_[num];
    info.enterprise = true;
    if (registered) info.registered_name = p.category + " line " + std::to_string(k + 1);
    truth_legit_.push_back(
        {{"number", info.text}, {"category", p.category}, {"registered", registered}});
    for (int d = 0; d < sc_.days; ++d) {
      int calls = r.Poisson(p.calls_per_day);
      for (int c = 0; c < calls; ++c) {
        uint32_t callee = subscribers_[r.Below(subscribers_.size())];
        int64_t t = WorkTime(d, p.start_hour, p.end_hour, r);
        SimCall call = Base(t, num, callee, ingress);
        call.attested = p.attested;
        Outcome(call, r, p.answer_rate, p.talk_median_s, p.talk_sigma);
        calls_.push_back(call);
        if (call.answered ? r.Chance(p.callback_share) : r.Chance(p.callback_share / 2)) {
          SimCall back =
              Base(t + static_cast<int64_t>(60000 + r.Exp(1800000)), callee, num, kMobile);
          Outcome(back, r, 0.95, 60, 0.7);
          calls_.push_back(back);
        }
      }
    }
  }
}

std::vector<uint32_t> Sim::TargetList(int size, double elderly_bias, Rng& r) {
  // A leaked list: subscribers drawn with the elderly `elderly_bias` times likelier.
  std::vector<uint32_t> out;
  size = std::min<int>(size, static_cast<int>(subscribers_.size()));
  double max_w = std::max(1.0, elderly_bias);
  while (static_cast<int>(out.size()) < size) {
    uint32_t s = subscribers_[r.Below(subscribers_.size())];
    double w = numbers_[s].age == 3 ? elderly_bias : 1.0;
    if (r.U() * max_w < w) out.push_back(s);
  }
  return out;
}

void Sim::ScamCall(const OperationParams& p, uint16_t op, int64_t t, uint32_t caller,
                   uint32_t callee, uint8_t ingress, Rng& r, SimCall extra) {
  SimCall c = extra;
  c.t_ms = t;
  c.caller = caller;
  c.callee = callee;
  c.ingress = ingress;
  c.op = op;
  c.scam = 1;
  double answer = numbers_[callee].age == 3 ? std::min(1.0, p.answer_rate * 1.4) : p.answer_rate;
  c.answered = r.Chance(answer);
  if (c.answered) {
    bool victim = r.Chance(p.victim_share);
    c.duration = static_cast<float>(
        std::round(victim ? r.LogNormal(p.victim_talk_median_s, 0.5) : r.LogNormal(25, 0.8)));
    c.ring = static_cast<float>(std::round(r.LogNormal(10, 0.5)));
    if (victim) truth_ops_[op - 1]["victims"].push_back(numbers_[callee].text);
  } else {
    c.ring = static_cast<float>(std::round(25 + r.U() * 20));
  }
  calls_.push_back(c);
  if (c.answered && r.Chance(p.callback_share)) {
    SimCall back = Base(t + static_cast<int64_t>(60000 + r.Exp(3600000)), callee, caller, kMobile);
    back.op = op;
    back.scam = 1;
    Outcome(back, r, 0.5, 40, 0.6);
    calls_.push_back(back);
  }
}

void Sim::Operation(const OperationParams& p, size_t index) {
  Rng r(StreamSeed(seed_, "operation/" + p.id));
  const uint16_t op = static_cast<uint16_t>(index + 1);
  nlohmann::json t = {
      {"id", p.id},
      {"type", p.type},
      {"agents", p.agents},
      {"numbers", nlohmann::json::array()},
      {"victims", nlohmann::json::array()},
      {"origin_country", p.type == "call_centre" || p.type == "wangiri" ? p.origin_country : "CN"},
      {"ip_blocks", p.ip_blocks},
      {"devices", nlohmann::json::array()},
      {"cells", nlohmann::json::array()}};
  truth_ops_.push_back(t);
  auto& truth = truth_ops_.back();
  auto add_number = [&](uint32_t n) { truth["numbers"].push_back(numbers_[n].text); };
  std::vector<uint32_t> targets = TargetList(p.targets, p.elderly_bias, r);
  auto target = [&] { return targets[r.Below(targets.size())]; };
  const uint16_t origin = Origin(p.origin_country);
  auto ip_of = [&](int agent) -> uint32_t {
    if (p.ip_blocks.empty()) return 0;
    unsigned a = 0, b = 0, c = 0;
    std::sscanf(p.ip_blocks[agent % p.ip_blocks.size()].c_str(), "%u.%u.%u", &a, &b, &c);
    return (a << 24) | (b << 16) | (c << 8) | (1 + agent % 250);
  };

  if (p.type == "call_centre") {
    uint8_t ingress = p.ingress == "voip" ? kVoip : kInternational;
    // Official-looking numbers: police-station style fixed lines and the court/procuratorate lines.
    std::vector<uint32_t> official;
    if (p.cli == "official") {
      for (const char* s : {"12368", "12309"}) official.push_back(AddNumber(s, Kind::kSpoofed));
      for (int k = 0; k < 20; ++k) official.push_back(NewFixed(Kind::kSpoofed));
      for (uint32_t o : official) add_number(o);
    }
    for (int d = 0; d < sc_.days; ++d) {
      for (int a = 0; a < p.agents; ++a) {
        int calls = r.Poisson(p.calls_per_agent_per_day);
        int per_number = std::max(
            1,
            static_cast<int>(calls / (p.cli == "rotate_daily" ? 1 : p.numbers_per_agent_per_day)));
        uint32_t cli = 0;
        for (int c = 0; c < calls; ++c) {
          if (p.cli == "official") {
            cli = official[r.Below(official.size())];
          } else if (c % per_number == 0) {
            cli = NewMobile(Kind::kSpoofed);
            add_number(cli);
          }
          SimCall extra{};
          extra.origin = ingress == kInternational || r.Chance(0.5) ? origin : 0;
          extra.ip = ingress == kVoip ? ip_of(a) : 0;
          ScamCall(p, op, WorkTime(d, p.start_hour, p.end_hour, r), cli, target(), ingress, r,
                   extra);
        }
      }
    }
  } else if (p.type == "simbox") {
    // Freshly activated local SIMs in GOIP gateways: shared devices, one static cell each.
    std::vector<uint32_t> sims;
    int64_t day0 = (day0_ms_ + sc_.utc_offset_min * 60000LL) / 86400000LL;
    for (int a = 0; a < p.agents; ++a) {
      uint32_t s = NewMobile(Kind::kScam);
      numbers_[s].activation_day = day0 - 1 - static_cast<int64_t>(r.Below(7));
      sims.push_back(s);
      add_number(s);
    }
    for (int dev = 0; dev * p.sims_per_device < p.agents; ++dev) {
      truth["devices"].push_back("86" + std::to_string(3500000000000 + index * 10000 + dev));
      truth["cells"].push_back("cell-" + p.id + "-" + std::to_string(dev));
    }
    for (int d = 0; d < sc_.days; ++d) {
      for (int a = 0; a < p.agents; ++a) {
        int calls = r.Poisson(p.calls_per_agent_per_day);
        SimCall extra{};
        extra.imei = static_cast<uint32_t>(index * 10000 + a / p.sims_per_device + 1);
        extra.cell = extra.imei;
        for (int c = 0; c < calls; ++c)
          ScamCall(p, op, WorkTime(d, p.start_hour, p.end_hour, r), sims[a], target(), kMobile, r,
                   extra);
      }
    }
  } else if (p.type == "wangiri") {
    // One-ring calls from premium-rate foreign numbers; some of the people rung call back.
    std::vector<uint32_t> nums;
    for (int a = 0; a < p.agents; ++a) {
      char buf[24];
      std::snprintf(buf, sizeof buf, "+2162%07llu",
                    static_cast<unsigned long long>(r.Below(10000000)));
      nums.push_back(AddNumber(buf, Kind::kScam));
      add_number(nums.back());
    }
    const uint16_t tn = Origin(p.origin_country);
    for (int d = 0; d < sc_.days; ++d) {
      for (int a = 0; a < p.agents; ++a) {
        int calls = r.Poisson(p.calls_per_agent_per_day);
        for (int c = 0; c < calls; ++c) {
          int64_t t = DiurnalTime(d, r);
          uint32_t callee = target();
          SimCall call = Base(t, nums[a], callee, kInternational);
          call.origin = tn;
          call.op = op;
          call.scam = 1;
          call.answered = 0;
          call.ring = static_cast<float>(1 + r.Below(3));
          calls_.push_back(call);
          if (r.Chance(p.callback_share)) {
            SimCall back = Base(t + static_cast<int64_t>(120000 + r.Exp(2 * 3600000)), callee,
                                nums[a], kMobile);
            back.op = op;
            back.scam = 1;
            back.answered = 1;
            back.duration = static_cast<float>(std::round(r.LogNormal(90, 0.6)));
            back.ring = 3;
            calls_.push_back(back);
            truth["victims"].push_back(numbers_[callee].text);
          }
        }
      }
    }
  } else if (p.type == "robocall") {
    // Machine-regular dialling through a block of consecutive numbers.
    for (int a = 0; a < p.agents; ++a) {
      uint32_t num = NewMobile(Kind::kScam);
      add_number(num);
      uint64_t next = 10000000 + r.Below(80000000);
      for (int d = 0; d < sc_.days; ++d) {
        int calls = r.Poisson(p.calls_per_agent_per_day);
        int64_t t = WorkTime(d, p.start_hour, p.start_hour + 1, r);
        for (int c = 0; c < calls; ++c, t += static_cast<int64_t>(p.interval_s * 1000)) {
          char buf[24];
          std::snprintf(buf, sizeof buf, "+86138%08llu", static_cast<unsigned long long>(next++));
          uint32_t callee = AddNumber(buf, Kind::kSubscriber);
          SimCall call =
              Base(t, num, callee, p.ingress == "international" ? kInternational : kVoip);
          call.op = op;
          call.scam = 1;
          call.ip = ip_of(a);
          Outcome(call, r, p.answer_rate, 25, 0.3);
          calls_.push_back(call);
        }
      }
    }
  } else {  // camouflage
    // Domestic SIMs that call a few accomplices like ordinary people, then strike.
    for (int a = 0; a < p.agents; ++a) {
      uint32_t num = NewMobile(Kind::kScam);
      add_number(num);
      std::vector<uint32_t> friends;
      for (int k = 0; k < 5; ++k) friends.push_back(subscribers_[r.Below(subscribers_.size())]);
      for (int d = 0; d < sc_.days; ++d) {
        if (d < p.warmup_days) {
          int calls = r.Poisson(6);
          for (int c = 0; c < calls; ++c) {
            uint32_t f = friends[r.Below(friends.size())];
            int64_t t = DiurnalTime(d, r);
            SimCall call = Base(t, num, f, kMobile);
            call.op = op;
            call.scam = 1;
            Outcome(call, r, 0.85, 120, 0.8);
            calls_.push_back(call);
            // The friend's reply is ordinary traffic: the scam number is the camouflaged SIM.
            SimCall back = Base(t + static_cast<int64_t>(60000 + r.Exp(3600000)), f, num, kMobile);
            Outcome(back, r, 0.85, 120, 0.8);
            if (r.Chance(0.5)) calls_.push_back(back);
          }
        } else {
          int calls = r.Poisson(p.calls_per_agent_per_day);
          for (int c = 0; c < calls; ++c)
            ScamCall(p, op, WorkTime(d, p.start_hour, p.end_hour, r), num, target(), kMobile, r,
                     SimCall{});
        }
      }
    }
  }
}

Status Sim::Write(const std::string& dir, SimulationSummary* sum) {
  mkdir(dir.c_str(), 0755);
  std::string path = dir + "/calls.csv";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return Status::IoError(path + ": cannot create");
  std::string buf;
  buf.reserve(1 << 21);
  buf +=
      "call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress,trunk,origin_country,"
      "origin_ip,attestation,imei,cell,label,operation\n";
  char tmp[64];
  for (size_t i = 0; i < calls_.size(); ++i) {
    const SimCall& c = calls_[i];
    buf += 'c';
    buf += std::to_string(i);
    buf += ',';
    AppendRfc3339(c.t_ms, &buf);
    buf += ',';
    buf += numbers_[c.caller].text;
    buf += ',';
    buf += numbers_[c.callee].text;
    buf += c.answered ? ",1," : ",0,";
    buf += std::to_string(static_cast<int64_t>(c.duration));
    buf += ',';
    buf += std::to_string(static_cast<int64_t>(c.ring));
    buf += ',';
    buf += kIngressNames[c.ingress];
    buf += ',';
    if (c.ingress == kInternational) buf += "intl-gw-1";
    buf += ',';
    buf += origins_[c.origin];
    buf += ',';
    if (c.ip) {
      int n = std::snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", c.ip >> 24, (c.ip >> 16) & 255,
                            (c.ip >> 8) & 255, c.ip & 255);
      buf.append(tmp, n);
    }
    buf += c.attested ? ",A," : ",,";
    if (c.imei) {
      buf += "86";
      buf += std::to_string(3500000000000ULL + c.imei - 1);
    }
    buf += ',';
    if (c.cell) {
      buf += "cell-";
      buf += std::to_string(c.cell);
    }
    buf += c.scam ? ",scam," : ",legit,";
    if (c.op) buf += sc_.operations[c.op - 1].id;
    buf += '\n';
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
    ++sum->calls;
    sum->scam_calls += c.scam;
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  if (std::fclose(f) != 0) return Status::IoError(path + ": write failed");

  path = dir + "/subscribers.csv";
  f = std::fopen(path.c_str(), "w");
  if (!f) return Status::IoError(path + ": cannot create");
  std::fputs("number,line_type,registered_name,age_band,vulnerable,activation_date\n", f);
  static const char* kAges[] = {"<18", "18-39", "40-59", "60+"};
  for (const NumberInfo& n : numbers_) {
    if (n.kind == Kind::kSpoofed || n.text.compare(0, 3, "+86") != 0) continue;
    if (n.kind == Kind::kSubscriber && n.age < 0) continue;  // dialled, never allocated
    std::string act;
    if (n.activation_day != INT64_MIN)
      act = FormatRfc3339(n.activation_day * 86400000).substr(0, 10);
    std::fprintf(f, "%s,%s,%s,%s,%d,%s\n", n.text.c_str(), n.enterprise ? "enterprise" : "consumer",
                 n.registered_name.c_str(), n.age >= 0 ? kAges[n.age] : "", n.vulnerable ? 1 : 0,
                 act.c_str());
    ++sum->subscribers;
  }
  if (std::fclose(f) != 0) return Status::IoError(path + ": write failed");

  nlohmann::json truth = {{"scenario", sc_.name},
                          {"seed", seed_},
                          {"days", sc_.days},
                          {"operations", truth_ops_},
                          {"legitimate", truth_legit_}};
  for (auto& op : truth["operations"]) {
    auto& v = op["victims"];
    std::vector<std::string> uniq = v.get<std::vector<std::string>>();
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    v = uniq;
  }
  path = dir + "/truth.json";
  f = std::fopen(path.c_str(), "w");
  if (!f) return Status::IoError(path + ": cannot create");
  std::string s = truth.dump(1);
  std::fwrite(s.data(), 1, s.size(), f);
  if (std::fclose(f) != 0) return Status::IoError(path + ": write failed");
  sum->numbers = numbers_.size();
  return Status::Ok();
}

}  // namespace

Result<SimulationSummary> Simulate(const Scenario& scenario, uint64_t seed,
                                   const std::string& dir) {
  auto t0 = std::chrono::steady_clock::now();
  Sim sim(scenario, seed);
  sim.Run();
  SimulationSummary sum;
  CG_RETURN_IF_ERROR(sim.Write(dir, &sum));
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace callguard::sim
