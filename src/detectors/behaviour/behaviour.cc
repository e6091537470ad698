#include "detectors/behaviour/behaviour.h"

#include <algorithm>
#include <cmath>

#include "core/number.h"
#include "core/time.h"
#include "engine/engine.h"
#include "engine/snapshot.h"

namespace callguard {

BehaviourDetector::Options BehaviourDetector::ParseConfig(ConfigNode& node) {
  Options o;
  o.enabled = node.Bool("enabled", true);
  auto windows = node.List("windows");
  for (size_t i = 0; i < windows.size(); ++i) {
    Window w = i < 3 ? o.windows[i] : Window{};
    w.name = windows[i].String("name", w.name);
    w.half_life_s = windows[i].Duration("half_life", w.half_life_s);
    w.burst_attempts = windows[i].Number("burst_attempts", w.burst_attempts, 0, 1e9);
    if (w.half_life_s <= 0) windows[i].Error("half_life", "must be positive");
    windows[i].Finish();
    if (i < 3) o.windows[i] = w;
  }
  if (!windows.empty() && windows.size() != 3) {
    node.Error("windows", "expected exactly three windows (short, medium, long), got " +
                              std::to_string(windows.size()));
  } else if (!(o.windows[0].half_life_s < o.windows[1].half_life_s &&
               o.windows[1].half_life_s < o.windows[2].half_life_s)) {
    node.Error("windows", "half-lives must increase from the first window to the third");
  }
  o.min_calls = node.Number("min_calls", o.min_calls, 1, 1e9);
  o.short_call_s = node.Duration("short_call", o.short_call_s);
  o.long_call_s = node.Duration("long_call", o.long_call_s);
  ConfigNode night = node.Child("night");
  o.night_start_hour = static_cast<int>(night.Int("start_hour", o.night_start_hour, 0, 23));
  o.night_end_hour = static_cast<int>(night.Int("end_hour", o.night_end_hour, 0, 24));
  night.Finish();
  o.share_span = node.Number("share_span", o.share_span, 2, 10000);

  ConfigNode t = node.Child("thresholds");
  o.new_contact_share = t.Number("new_contact_share", o.new_contact_share, 0, 1);
  o.low_answer_share = t.Number("low_answer_share", o.low_answer_share, 0, 1);
  o.short_share_of_answered = t.Number("short_share_of_answered", o.short_share_of_answered, 0, 1);
  o.low_reciprocity = t.Number("low_reciprocity", o.low_reciprocity, 0, 1);
  o.outgoing_share = t.Number("outgoing_share", o.outgoing_share, 0, 1);
  o.night_share = t.Number("night_share", o.night_share, 0, 1);
  o.sequential_run = static_cast<int>(t.Int("sequential_run", o.sequential_run, 2, 255));
  o.concurrent_calls = static_cast<int>(t.Int("concurrent_calls", o.concurrent_calls, 2, 100000));
  t.Finish();

  ConfigNode w = node.Child("weights");
  o.w_fanout_burst = w.Number("fanout_burst", o.w_fanout_burst, 0, 100);
  o.w_new_contacts = w.Number("new_contacts", o.w_new_contacts, 0, 100);
  o.w_low_answer = w.Number("low_answer_rate", o.w_low_answer, 0, 100);
  o.w_short_calls = w.Number("short_calls", o.w_short_calls, 0, 100);
  o.w_no_callbacks = w.Number("no_callbacks", o.w_no_callbacks, 0, 100);
  o.w_outgoing_only = w.Number("outgoing_only", o.w_outgoing_only, 0, 100);
  o.w_night = w.Number("night_activity", o.w_night, 0, 100);
  o.w_sequential = w.Number("sequential_dialling", o.w_sequential, 0, 100);
  o.w_concurrent = w.Number("concurrent_calls", o.w_concurrent, 0, 100);
  w.Finish();
  node.Finish();
  return o;
}

BehaviourDetector::BehaviourDetector(const Options& opt, const EngineState& state)
    // A network's registered subscribers are most of the numbers it will track: start the
    // table at that size rather than growing it through them (growth rehashes every profile
    // about four times, a quarter of a cold run's time).
    : opt_(opt),
      state_(state),
      profiles_(std::max<size_t>(state.config.engine.expected_numbers, state.subscribers->size())) {
  for (int i = 0; i < 3; ++i)
    rate_[i] = static_cast<float>(std::log(2.0) / opt_.windows[i].half_life_s);
}

void BehaviourDetector::Decay(Profile* p, int64_t now_s) const {
  int64_t dt = now_s - static_cast<int64_t>(p->last_s);
  if (dt <= 0) return;
  const float fdt = static_cast<float>(dt);
  float f = 1;
  for (int i = 0; i < 3; ++i) {
    f = std::exp(-rate_[i] * fdt);
    p->attempts[i] *= f;
  }
  // Incoming calls and callbacks decay over the long window: its factor, computed last.
  p->incoming *= f;
  p->callbacks *= f;
  p->last_s = static_cast<uint32_t>(now_s);
}

bool BehaviourDetector::View(uint64_t key, int64_t now_s, Profile* out) const {
  const Profile* p = profiles_.Find(key);
  if (!p) return false;
  *out = *p;
  Decay(out, now_s);
  return true;
}

void BehaviourDetector::UpdateShare(Profile* p, int which, bool value, float alpha) {
  float cur = p->share[which];
  float target = value ? Profile::kShareScale : 0.0f;
  // lround without the library call: the value is in [0, 65535], where x - trunc(x) is exact,
  // so this is lround's half-away-from-zero rounding to the bit.
  const float x = cur + alpha * (target - cur);
  const auto whole = static_cast<uint16_t>(x);
  p->share[which] = static_cast<uint16_t>(whole + (x - whole >= 0.5f ? 1 : 0));
}

bool BehaviourDetector::IsNight(int64_t unix_s) const {
  int h = ToLocal(unix_s, state_.config.engine.utc_offset_min).hour;
  if (opt_.night_start_hour <= opt_.night_end_hour)
    return h >= opt_.night_start_hour && h < opt_.night_end_hour;
  return h >= opt_.night_start_hour || h < opt_.night_end_hour;
}

namespace {

uint16_t Low16(const Number& n) {
  return static_cast<uint16_t>((n.key & ((1ULL << 50) - 1)) % 65536);
}

}  // namespace

void BehaviourDetector::assess(const Call& call, Evidence& out) const {
  if (call.caller.key == 0) return;
  const int64_t now = call.start_s();

  // Concurrency is known exactly from calls in progress, whatever the profile says.
  uint32_t concurrent = state_.facts.in_progress + 1;
  if (static_cast<int>(concurrent) >= opt_.concurrent_calls)
    out.Add(name(), "concurrent_calls", opt_.w_concurrent, concurrent,
            " calls at once from this number (threshold ", opt_.concurrent_calls, ")");

  Profile p;
  if (!View(call.caller.key, now, &p)) return;

  // Sequential dialling: this callee continues a run of consecutive numbers.
  if (IsE164Key(call.callee.key)) {
    uint16_t low = Low16(call.callee);
    int run = p.seq_run + (low == static_cast<uint16_t>(p.last_callee_low + 1) ? 1 : 0);
    if (run + 1 >= opt_.sequential_run && low == static_cast<uint16_t>(p.last_callee_low + 1))
      out.Add(name(), "sequential_dialling", opt_.w_sequential, run + 1,
              " consecutive calls to numbers in sequence");
  }

  // Bursts: a window's decayed attempt count above its limit, mostly to new contacts.
  for (int i = 0; i < 3; ++i) {
    const Window& w = opt_.windows[i];
    if (w.burst_attempts > 0 && p.attempts[i] >= w.burst_attempts &&
        p.Share(Profile::kNewContact) >= opt_.new_contact_share) {
      out.Add(name(), "fanout_burst", opt_.w_fanout_burst, Rounded{p.attempts[i]},
              " recent calls in the ", w.name, " window (limit ", Rounded{w.burst_attempts}, "), ",
              Percent{p.Share(Profile::kNewContact)}, " to new contacts");
      break;
    }
  }

  // The remaining signals describe a habit: only after enough calls.
  const double n = p.attempts[2];
  if (n < opt_.min_calls) return;
  const double new_share = p.Share(Profile::kNewContact);
  const double answered = p.Share(Profile::kAnswered);
  if (new_share >= opt_.new_contact_share)
    out.Add(name(), "new_contacts", opt_.w_new_contacts, Percent{new_share},
            " of recent calls went to numbers it had never called");
  if (answered <= opt_.low_answer_share)
    out.Add(name(), "low_answer_rate", opt_.w_low_answer, "only ", Percent{answered},
            " of recent calls were answered");
  if (answered > 0.05) {
    double short_of_answered = p.Share(Profile::kShort) / answered;
    if (short_of_answered >= opt_.short_share_of_answered)
      out.Add(name(), "short_calls", opt_.w_short_calls, Percent{std::min(1.0, short_of_answered)},
              " of answered calls lasted under ", Rounded{opt_.short_call_s}, " s");
  }
  // Reciprocity: callbacks from the people it calls, against the people it calls.
  double reached = std::max(1.0, n * new_share);
  double reciprocity = std::max<double>(p.callbacks / reached, p.Share(Profile::kReciprocal));
  if (reciprocity <= opt_.low_reciprocity)
    out.Add(name(), "no_callbacks", opt_.w_no_callbacks, "almost nobody it calls ever calls back (",
            Percent{reciprocity}, ")");
  double out_share = n / (n + p.incoming);
  if (out_share >= opt_.outgoing_share)
    out.Add(name(), "outgoing_only", opt_.w_outgoing_only, Percent{out_share},
            " of its calls are outgoing");
  if (p.Share(Profile::kNight) >= opt_.night_share)
    out.Add(name(), "night_activity", opt_.w_night, Percent{p.Share(Profile::kNight)},
            " of recent calls were made at night");
}

void BehaviourDetector::observe(const Call& call) {
  const int64_t now = call.start_s();
  const uint64_t a = call.caller.key, b = call.callee.key;
  // Had the callee called this caller before? (From the pair filter, before this call's pair is
  // recorded in it.)
  const bool called_back = a != 0 && b != 0 && state_.facts.callee_called_caller;
  if (a != 0) {
    Profile* p = profiles_.FindOrInsert(a);
    if (p->last_s == 0) p->last_s = static_cast<uint32_t>(now);
    Decay(p, now);
    for (float& x : p->attempts) x += 1;
    float alpha =
        std::max(1.0f / (p->outgoing_seen + 1.0f), 1.0f / static_cast<float>(opt_.share_span));
    bool ans = call.answered;
    UpdateShare(p, Profile::kAnswered, ans, alpha);
    UpdateShare(p, Profile::kShort, ans && call.duration_s < opt_.short_call_s, alpha);
    UpdateShare(p, Profile::kLong, ans && call.duration_s >= opt_.long_call_s, alpha);
    UpdateShare(p, Profile::kNight, IsNight(now), alpha);
    if (b != 0) {
      UpdateShare(p, Profile::kNewContact, !state_.facts.caller_called_callee, alpha);
      UpdateShare(p, Profile::kReciprocal, called_back, alpha);
      if (IsE164Key(b)) {
        uint16_t low = Low16(call.callee);
        p->seq_run = low == static_cast<uint16_t>(p->last_callee_low + 1)
                         ? static_cast<uint8_t>(std::min(255, p->seq_run + 1))
                         : 0;
        p->last_callee_low = low;
      }
    }
    if (p->outgoing_seen < 255) ++p->outgoing_seen;
  }
  if (b != 0 && b != a) {
    // `p` above may have moved: look the callee up afresh.
    Profile* q = profiles_.FindOrInsert(b);
    if (q->last_s == 0) q->last_s = static_cast<uint32_t>(now);
    Decay(q, now);
    q->incoming += 1;
    // The callee had called this caller before: this call is a callback to the callee.
    if (called_back) q->callbacks += 1;
  }
}

void BehaviourDetector::Save(SnapshotWriter& out) const {
  out.BeginSection("BHVR");
  out.Put<uint64_t>(profiles_.size());
  profiles_.ForEach([&](const Profile& p) { out.Put(p); });
  out.EndSection();
}

Status BehaviourDetector::Load(SnapshotReader& in) {
  CG_RETURN_IF_ERROR(in.Section("BHVR"));
  uint64_t n;
  if (!in.Get(&n) || in.remaining() != n * sizeof(Profile)) return in.Corrupt("BHVR");
  profiles_.Clear();
  Profile p;
  for (uint64_t i = 0; i < n; ++i) {
    in.Get(&p);
    profiles_.Put(p);
  }
  return Status::Ok();
}

}  // namespace callguard
