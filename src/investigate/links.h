// Links between risky numbers, each with the evidence behind it (investigation step 1).
//
// Evidence kinds:
//  - co_callee: the two numbers reached more of the same people than chance allows. Counted
//    through an inverted index (callee -> risky callers) that skips hubs (numbers many callers
//    reach); the expected overlap of two callers with d1 and d2 distinct callees among M is
//    d1*d2/M. A link needs a lift (observed / expected) of `min_lift` and a Poisson tail
//    probability of at most `max_p`; strong with `strong_shared_callees` and p <= `strong_p`.
//  - same_callees: near-identical callee sets (MinHash, banded LSH): one SIM or dialer behind
//    several presented caller IDs. Strong.
//  - device / address_block / trunk / cell / origid: a shared attribute, weighted by its rarity
//    over all callers (w = ln(N/df) / ln N), so a big carrier's gateway glues nobody. Device and
//    origid (the STIR/SHAKEN origination id of a verified PASSporT: one customer account or
//    gateway of the originating provider) are strong; the others are weak.
//  - co_activity: the numbers' activity profiles (calls per time bin) have a high cosine: the
//    same shift, bursts that start and stop together. Weak, and only checked for pairs with other
//    evidence.
// The gate: a link stands with one strong kind or two different weak kinds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/investigate_config.h"
#include "investigate/call_set.h"

namespace callguard::investigate {

enum class LinkKind : uint8_t {
  kCoCallee = 0,
  kSameCallees,
  kDevice,
  kAddressBlock,
  kTrunk,
  kCell,
  kOrigid,
  kCoActivity,
  kCount
};
const char* LinkKindName(LinkKind k);
bool IsStrong(LinkKind k);

struct Evidence {
  LinkKind kind;
  float weight = 0;         // 0..1
  float measure = 0;        // lift (co_callee), Jaccard (same_callees), cosine (co_activity)
  float p_value = 1;        // co_callee: chance of at least this overlap by accident
  uint32_t shared = 0;      // shared callees (co_callee)
  uint32_t attr = kNoAttr;  // the shared attribute (infrastructure kinds)
  bool strong = false;
};

struct Link {
  uint32_t a = 0, b = 0;  // number ids, a < b
  float weight = 0;       // noisy-or of the evidence weights
  std::vector<Evidence> evidence;
};

struct LinkStats {
  uint64_t candidates = 0, hubs_skipped = 0, pairs_considered = 0, links = 0;
  uint64_t gated_out = 0;           // pairs with evidence that did not pass the gate
  uint64_t attributes_skipped = 0;  // too common (weight), or too large even to sample
  uint64_t attributes_sampled = 0;  // large groups linked to their nearest users, not all pairs
  uint64_t by_kind[static_cast<int>(LinkKind::kCount)] = {};
};

// The risky numbers: callers whose highest verdict score reaches the configured threshold.
std::vector<uint32_t> Candidates(const CallSet& set, const OpsConfig& cfg);

std::vector<Link> BuildLinks(const CallSet& set, const std::vector<uint32_t>& candidates,
                             const OpsConfig& cfg, LinkStats* stats);

}  // namespace callguard::investigate
