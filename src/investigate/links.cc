#include "investigate/links.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/hash.h"

namespace callguard::investigate {

const char* LinkKindName(LinkKind k) {
  switch (k) {
    case LinkKind::kCoCallee:
      return "co_callee";
    case LinkKind::kSameCallees:
      return "same_callees";
    case LinkKind::kDevice:
      return "device";
    case LinkKind::kAddressBlock:
      return "address_block";
    case LinkKind::kTrunk:
      return "trunk";
    case LinkKind::kCell:
      return "cell";
    case LinkKind::kOrigid:
      return "origid";
    case LinkKind::kCoActivity:
      return "co_activity";
    default:
      return "?";
  }
}

// Infrastructure link kinds follow the attribute kinds, in the same order.
static_assert(static_cast<int>(LinkKind::kOrigid) - static_cast<int>(LinkKind::kDevice) ==
              static_cast<int>(AttrKind::kOrigid));
static_assert(static_cast<int>(LinkKind::kCoActivity) - static_cast<int>(LinkKind::kDevice) ==
              static_cast<int>(AttrKind::kCount));

bool IsStrong(LinkKind k) {
  return k == LinkKind::kSameCallees || k == LinkKind::kDevice || k == LinkKind::kOrigid;
}

std::vector<uint32_t> Candidates(const CallSet& set, const OpsConfig& cfg) {
  std::vector<uint32_t> out;
  const auto& nums = set.numbers();
  for (uint32_t i = 0; i < nums.size(); ++i)
    if (!nums[i].withheld && nums[i].calls_out > 0 && nums[i].max_score >= cfg.candidate_score)
      out.push_back(i);
  return out;
}

namespace {

struct PairAcc {
  uint32_t shared = 0;
  float jaccard = 0;
  static constexpr int kAttrs = static_cast<int>(AttrKind::kCount);
  float attr_w[kAttrs] = {};
  uint32_t attr_id[kAttrs] = {kNoAttr, kNoAttr, kNoAttr, kNoAttr, kNoAttr};
};

// P(X >= k) for X ~ Poisson(lambda): the chance of sharing at least k callees by accident.
double PoissonUpperTail(uint32_t k, double lambda) {
  if (k == 0) return 1;
  if (lambda <= 0) return 0;
  // Sum the terms from k upward in log space; they fall geometrically once i > lambda.
  double log_term = -lambda + k * std::log(lambda) - std::lgamma(k + 1.0);
  double sum = 0, term = std::exp(log_term);
  for (uint32_t i = k; i < k + 10000; ++i) {
    sum += term;
    term *= lambda / (i + 1);
    if (term < sum * 1e-12) break;
  }
  return std::min(1.0, sum);
}

constexpr int kMinHashes = 32, kBands = 8, kRows = kMinHashes / kBands;

}  // namespace

std::vector<Link> BuildLinks(const CallSet& set, const std::vector<uint32_t>& candidates,
                             const OpsConfig& cfg, LinkStats* stats) {
  LinkStats local;
  LinkStats& st = stats ? *stats : local;
  st = LinkStats{};
  st.candidates = candidates.size();
  const auto& nums = set.numbers();
  std::vector<int32_t> cand_index(nums.size(), -1);
  for (size_t i = 0; i < candidates.size(); ++i)
    cand_index[candidates[i]] = static_cast<int32_t>(i);
  const size_t n = candidates.size();

  // Per candidate: distinct callees, attributes, activity bins. Per callee: distinct callers.
  std::vector<std::vector<uint32_t>> callees(n);
  std::vector<std::vector<int64_t>> bins(n);
  std::vector<uint32_t> in_callers(nums.size(), 0);
  {
    std::vector<uint32_t> last_caller(nums.size(), UINT32_MAX);
    // Distinct callers per callee, approximated by consecutive-call dedup plus a per-pair set for
    // the candidates' own callees (exact for the numbers that matter).
    std::unordered_map<uint64_t, bool> seen_pair;
    seen_pair.reserve(set.calls().size() / 2);
    const int64_t bin_ms = static_cast<int64_t>(cfg.coactivity_bin_s * 1000);
    for (const CallRec& r : set.calls()) {
      if (nums[r.caller].withheld) continue;
      uint64_t key = (static_cast<uint64_t>(r.callee) << 32) | r.caller;
      if (last_caller[r.callee] != r.caller && seen_pair.emplace(key, true).second)
        ++in_callers[r.callee];
      last_caller[r.callee] = r.caller;
      int32_t ci = cand_index[r.caller];
      if (ci < 0) continue;
      callees[ci].push_back(r.callee);
      bins[ci].push_back(r.t_ms >= 0 ? r.t_ms / bin_ms : (r.t_ms - bin_ms + 1) / bin_ms);
    }
  }
  for (auto& v : callees) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  // Chance overlap under a degree-corrected null model: caller a reaches callee c with
  // probability d_a * q_c / Q (q_c = c's distinct callers, Q = their sum), so two callers are
  // expected to share d_a * d_b * sum(q_c^2) / Q^2 callees. Popular callees (the elderly everyone
  // calls, a shop's customers) make chance overlaps likelier than a uniform model would say.
  double q_sum = 0, q_sq = 0;
  for (uint32_t q : in_callers) {
    if (q == 0 || q > static_cast<uint32_t>(cfg.hub_callers)) continue;
    q_sum += q;
    q_sq += static_cast<double>(q) * q;
  }
  const double overlap_per_pair = q_sum > 0 ? q_sq / (q_sum * q_sum) : 1.0;

  std::unordered_map<uint64_t, PairAcc> pairs;
  auto pair_key = [](uint32_t a, uint32_t b) {
    if (a > b) std::swap(a, b);
    return (static_cast<uint64_t>(a) << 32) | b;
  };

  // 1. Co-callees through the inverted index, hubs skipped.
  {
    std::unordered_map<uint32_t, std::vector<uint32_t>> inverted;
    for (uint32_t ci = 0; ci < n; ++ci)
      for (uint32_t callee : callees[ci]) {
        if (in_callers[callee] > static_cast<uint32_t>(cfg.hub_callers)) continue;
        inverted[callee].push_back(ci);
      }
    for (uint32_t callee = 0; callee < nums.size(); ++callee)
      if (in_callers[callee] > static_cast<uint32_t>(cfg.hub_callers)) ++st.hubs_skipped;
    for (auto& [callee, list] : inverted) {
      if (list.size() < 2) continue;
      for (size_t i = 0; i < list.size(); ++i)
        for (size_t j = i + 1; j < list.size(); ++j) ++pairs[pair_key(list[i], list[j])].shared;
    }
  }
  // 2. Near-duplicate callee sets: MinHash signatures, banded.
  {
    std::vector<std::array<uint64_t, kMinHashes>> sig(n);
    std::unordered_map<uint64_t, std::vector<uint32_t>> buckets;
    for (uint32_t ci = 0; ci < n; ++ci) {
      if (callees[ci].size() < 3) continue;
      auto& s = sig[ci];
      s.fill(UINT64_MAX);
      for (uint32_t callee : callees[ci]) {
        uint64_t h = Mix64(nums[callee].key ^ 0x5bd1e995ULL);
        for (int k = 0; k < kMinHashes; ++k) {
          h = Mix64(h + k);
          s[k] = std::min(s[k], h);
        }
      }
      for (int b = 0; b < kBands; ++b) {
        uint64_t h = b;
        for (int r = 0; r < kRows; ++r) h = Mix64(h ^ s[b * kRows + r]);
        buckets[h].push_back(ci);
      }
    }
    for (auto& [h, list] : buckets) {
      if (list.size() < 2 || list.size() > 1000) continue;
      for (size_t i = 0; i < list.size(); ++i)
        for (size_t j = i + 1; j < list.size(); ++j) {
          const auto &x = sig[list[i]], &y = sig[list[j]];
          int eq = 0;
          for (int k = 0; k < kMinHashes; ++k) eq += x[k] == y[k];
          float jac = static_cast<float>(eq) / kMinHashes;
          if (jac >= cfg.near_duplicate) {
            PairAcc& p = pairs[pair_key(list[i], list[j])];
            p.jaccard = std::max(p.jaccard, jac);
          }
        }
    }
  }
  // 3. Shared infrastructure, IDF-weighted over every caller in the data.
  {
    uint64_t callers_total = 0;
    for (const auto& x : nums) callers_total += x.calls_out > 0 && !x.withheld;
    // The population the rarity is judged in: at least `idf_population` callers, so that in a
    // small sample (a test, the first minutes of a live window) a device two numbers share still
    // counts as rare.
    const double population =
        std::max<double>(static_cast<double>(callers_total), cfg.idf_population);
    const double log_n = std::log(std::max(2.0, population));
    // Per attribute value: the candidates that used it, with the time each first did.
    std::vector<std::vector<std::pair<uint32_t, int64_t>>> by_attr(set.attributes().size());
    for (const CallRec& r : set.calls()) {
      int32_t ci = cand_index[r.caller];
      if (ci < 0) continue;
      for (int k = 0; k < static_cast<int>(AttrKind::kCount); ++k)
        if (r.attr[k] != kNoAttr) by_attr[r.attr[k]].push_back({ci, r.t_ms});
    }
    for (uint32_t a = 0; a < by_attr.size(); ++a) {
      auto& list = by_attr[a];
      std::sort(list.begin(), list.end());  // by candidate, earliest use first
      list.erase(std::unique(list.begin(), list.end(),
                             [](const auto& x, const auto& y) { return x.first == y.first; }),
                 list.end());
      if (list.size() < 2) continue;
      const Attribute& attr = set.attributes()[a];
      double w = std::log(population / std::max<uint32_t>(1, attr.callers)) / log_n;
      if (w < cfg.min_attribute_weight) {
        ++st.attributes_skipped;
        continue;
      }
      const int k = static_cast<int>(attr.kind);
      auto note = [&](uint32_t x, uint32_t y) {
        PairAcc& p = pairs[pair_key(x, y)];
        if (w > p.attr_w[k]) {
          p.attr_w[k] = static_cast<float>(w);
          p.attr_id[k] = a;
        }
      };
      const size_t size = list.size();
      if (size <= static_cast<size_t>(cfg.max_attribute_numbers)) {
        for (size_t i = 0; i < size; ++i)
          for (size_t j = i + 1; j < size; ++j) note(list[i].first, list[j].first);
        continue;
      }
      // A large group (a call centre's address block used by thousands of rotating numbers):
      // all pairs would not fit, so each member is paired with the `reach` members that started
      // using it next. `reach` keeps the group's pair density near twice the CPM resolution, so
      // Leiden still sees one dense group, and the pairs within the attribute pair budget.
      ++st.attributes_sampled;
      size_t reach = std::max<size_t>(
          16, static_cast<size_t>(std::ceil(cfg.resolution * static_cast<double>(size))));
      reach = std::min(reach, static_cast<size_t>(cfg.max_attribute_pairs) / size);
      if (reach < 4) {
        ++st.attributes_skipped;
        continue;
      }
      std::sort(list.begin(), list.end(), [](const auto& x, const auto& y) {
        return x.second < y.second || (x.second == y.second && x.first < y.first);
      });
      for (size_t i = 0; i < size; ++i)
        for (size_t j = i + 1; j < size && j <= i + reach; ++j) note(list[i].first, list[j].first);
    }
  }
  // 4. Gate, with co-activity checked for the pairs that have other evidence.
  std::vector<std::vector<std::pair<int64_t, float>>> profile(n);
  std::vector<double> norm(n, 0);
  std::vector<bool> profiled(n, false);
  auto prof = [&](uint32_t ci) -> const std::vector<std::pair<int64_t, float>>& {
    if (!profiled[ci]) {
      profiled[ci] = true;
      auto b = bins[ci];
      std::sort(b.begin(), b.end());
      auto& out = profile[ci];
      for (size_t i = 0; i < b.size();) {
        size_t j = i;
        while (j < b.size() && b[j] == b[i]) ++j;
        out.push_back({b[i], static_cast<float>(j - i)});
        norm[ci] += static_cast<double>(j - i) * (j - i);
        i = j;
      }
      norm[ci] = std::sqrt(norm[ci]);
    }
    return profile[ci];
  };
  auto cosine = [&](uint32_t x, uint32_t y) {
    const auto &p = prof(x), &q = prof(y);
    double dot = 0;
    size_t i = 0, j = 0;
    while (i < p.size() && j < q.size()) {
      if (p[i].first < q[j].first)
        ++i;
      else if (p[i].first > q[j].first)
        ++j;
      else
        dot += static_cast<double>(p[i++].second) * q[j++].second;
    }
    return norm[x] > 0 && norm[y] > 0 ? dot / (norm[x] * norm[y]) : 0.0;
  };

  // Share of the sparse number's calls that fall in bins where the other was active (1 or 0
  // below two calls in such bins).
  auto contained = [&](uint32_t sparse, uint32_t busy) {
    const auto &p = prof(sparse), &q = prof(busy);
    double in = 0, all = 0;
    size_t j = 0;
    for (const auto& [bin, count] : p) {
      all += count;
      while (j < q.size() && q[j].first < bin) ++j;
      if (j < q.size() && q[j].first == bin) in += count;
    }
    return in >= 2 && all > 0 ? in / all : 0.0;
  };
  std::vector<Link> links;
  st.pairs_considered = pairs.size();
  for (const auto& [key, p] : pairs) {
    uint32_t x = static_cast<uint32_t>(key >> 32), y = static_cast<uint32_t>(key);
    Link link;
    link.a = candidates[x];
    link.b = candidates[y];
    if (link.a > link.b) std::swap(link.a, link.b);
    int strong = 0, weak = 0;
    auto add = [&](Evidence e) {
      e.strong = e.strong || IsStrong(e.kind);
      (e.strong ? strong : weak)++;
      link.evidence.push_back(e);
    };
    if (p.shared >= static_cast<uint32_t>(cfg.min_shared_callees)) {
      double expected =
          static_cast<double>(callees[x].size()) * callees[y].size() * overlap_per_pair;
      double lift = p.shared / std::max(expected, 1e-9);
      double pv = PoissonUpperTail(p.shared, expected);
      if (lift >= cfg.min_lift && pv <= cfg.max_p) {
        Evidence e{LinkKind::kCoCallee};
        e.shared = p.shared;
        e.measure = static_cast<float>(lift);
        e.p_value = static_cast<float>(pv);
        e.strong =
            p.shared >= static_cast<uint32_t>(cfg.strong_shared_callees) && pv <= cfg.strong_p;
        // -log10(p) on the strong threshold's scale: 0.005 -> ~0.38, 1e-6 and below -> 1.
        e.weight = static_cast<float>(
            std::min(1.0, -std::log10(std::max(pv, 1e-300)) / -std::log10(cfg.strong_p)));
        add(e);
      }
    }
    if (p.jaccard > 0) {
      Evidence e{LinkKind::kSameCallees};
      e.measure = p.jaccard;
      e.weight = p.jaccard;
      add(e);
    }
    for (int k = 0; k < PairAcc::kAttrs; ++k) {
      if (p.attr_w[k] <= 0) continue;
      Evidence e{static_cast<LinkKind>(static_cast<int>(LinkKind::kDevice) + k)};
      e.attr = p.attr_id[k];
      e.weight = p.attr_w[k];
      add(e);
    }
    if (link.evidence.empty()) continue;
    if (strong == 0 && weak >= 1) {
      // Both busy enough: the cosine of their activity profiles. One sparse (a number used for
      // a handful of calls before it was rotated out): every one of its calls falls in a bin
      // where the other was working, with at least two of them.
      const size_t min_calls = static_cast<size_t>(cfg.coactivity_min_calls);
      double c = 0;
      if (bins[x].size() >= min_calls && bins[y].size() >= min_calls) {
        c = cosine(x, y);
      } else if (std::max(bins[x].size(), bins[y].size()) >= min_calls &&
                 std::min(bins[x].size(), bins[y].size()) >= 2) {
        bool x_sparse = bins[x].size() < bins[y].size();
        c = contained(x_sparse ? x : y, x_sparse ? y : x);
      }
      if (c >= cfg.coactivity_min) {
        Evidence e{LinkKind::kCoActivity};
        e.measure = static_cast<float>(c);
        e.weight = static_cast<float>(0.5 * c);
        add(e);
      }
    }
    if (strong == 0 && weak < 2) {
      ++st.gated_out;
      continue;
    }
    double keep = 1;
    for (const Evidence& e : link.evidence) {
      keep *= 1 - std::clamp<double>(e.weight, 0, 0.99);
      ++st.by_kind[static_cast<int>(e.kind)];
    }
    link.weight = static_cast<float>(1 - keep);
    std::sort(link.evidence.begin(), link.evidence.end(),
              [](const Evidence& l, const Evidence& r) { return l.weight > r.weight; });
    links.push_back(std::move(link));
  }
  std::sort(links.begin(), links.end(),
            [](const Link& l, const Link& r) { return l.a != r.a ? l.a < r.a : l.b < r.b; });
  st.links = links.size();
  return links;
}

}  // namespace callguard::investigate
