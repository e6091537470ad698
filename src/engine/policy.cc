#include "engine/policy.h"

#include <algorithm>
#include <cmath>

namespace callguard {

std::string_view ToString(Action a) {
  switch (a) {
    case Action::kAllow:
      return "allow";
    case Action::kLabel:
      return "label";
    case Action::kWarn:
      return "warn";
    case Action::kBlock:
      return "block";
  }
  return "allow";
}

Decision Decide(Evidence& ev, const PolicyConfig& policy, bool shadow) {
  std::stable_sort(ev.begin(), ev.end(), [](const Reason& a, const Reason& b) {
    double wa = std::fabs(a.weight), wb = std::fabs(b.weight);
    if (wa != wb) return wa > wb;
    return a.code < b.code;
  });
  double sum = 0;
  for (const Reason& r : ev) sum += r.weight;
  Decision d;
  d.score = 1 - std::exp(-std::max(0.0, sum));
  if (d.score >= policy.block) {
    d.decided = Action::kBlock;
  } else if (d.score >= policy.warn) {
    d.decided = Action::kWarn;
  } else if (d.score >= policy.label) {
    d.decided = Action::kLabel;
  }
  if (ev.blocklisted) {
    d.decided = Action::kBlock;
  } else if (ev.protected_caller && policy.protect_registered) {
    d.decided = std::min(d.decided, Action::kLabel);
  }
  if (ev.emergency) d.decided = std::min(d.decided, Action::kLabel);
  d.action = shadow ? Action::kAllow : d.decided;
  return d;
}

}  // namespace callguard
