// Policy: turns a call's evidence into a risk score in [0, 1] and an action on the ladder
// allow < label < warn < block.
//
// Score = 1 - exp(-max(0, sum of weights)): weights add like log-odds, a weight of 0.7 alone
// gives 0.5, 3.0 gives 0.95. The action is the highest rung whose threshold the score reaches,
// then capped: emergency and priority calls are never blocked (at most label); allow-listed and
// registered callers are at most labelled unless block-listed; a block-list hit always blocks.
// In shadow mode the action is always allow and the would-be action is reported beside it.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "callguard/evidence.h"
#include "core/config.h"

namespace callguard {

enum class Action : uint8_t { kAllow = 0, kLabel, kWarn, kBlock };
std::string_view ToString(Action a);

struct Decision {
  double score = 0;
  Action action = Action::kAllow;   // what to do
  Action decided = Action::kAllow;  // what the policy decided (differs only in shadow mode)
};

// Sorts the evidence's reasons (largest |weight| first, then code) and decides.
Decision Decide(Evidence& evidence, const PolicyConfig& policy, bool shadow);

}  // namespace callguard
