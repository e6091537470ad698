#include "service/engine_views.h"

#include <algorithm>

#include "core/time.h"
#include "detectors/behaviour/behaviour.h"
#include "detectors/lists/lists.h"
#include "engine/verdict_writer.h"

namespace callguard {

namespace {
void Field(const char* name, double v, std::string* out) {
  *out += ",\"";
  *out += name;
  *out += "\":";
  AppendDecimal(v, out);
}
}  // namespace

std::string NumberEngineView(Engine& engine, const Number& n, int64_t now_ms, bool shadow) {
  // "Now" is the engine's clock when it has one (the latest call it saw): replayed records
  // from last month should be judged as of their own time, not decayed to nothing.
  if (engine.state().now_ms != INT64_MIN) now_ms = engine.state().now_ms;
  std::string out = "{\"as_of\":";
  AppendJsonString(FormatRfc3339(now_ms), &out);
  out += ",\"profile\":";
  auto* behaviour = dynamic_cast<BehaviourDetector*>(engine.FindDetector("behaviour"));
  Profile p;
  if (behaviour && n.key != 0 && behaviour->View(n.key, now_ms / 1000, &p)) {
    out += "{\"last_seen\":";
    AppendJsonString(FormatRfc3339(int64_t{p.last_s} * 1000), &out);
    out += ",\"attempts\":{\"short\":";
    AppendDecimal(p.attempts[0], &out);
    out += ",\"medium\":";
    AppendDecimal(p.attempts[1], &out);
    out += ",\"long\":";
    AppendDecimal(p.attempts[2], &out);
    out += "}";
    Field("incoming", p.incoming, &out);
    Field("callbacks", p.callbacks, &out);
    Field("outgoing_seen", p.outgoing_seen, &out);
    Field("answered_share", p.Share(Profile::kAnswered), &out);
    Field("short_share", p.Share(Profile::kShort), &out);
    Field("long_share", p.Share(Profile::kLong), &out);
    Field("night_share", p.Share(Profile::kNight), &out);
    Field("new_contact_share", p.Share(Profile::kNewContact), &out);
    Field("reciprocal_share", p.Share(Profile::kReciprocal), &out);
    out += "}";
  } else {
    out += "null";
  }
  // How a call from this number would be judged now (to no one in particular): assess only,
  // nothing is learned.
  Call c;
  c.call_id = "lookup";
  c.start_ms = now_ms;
  c.caller = n;
  const Decision& d = engine.Assess(c);
  out += ",\"assessment\":";
  AppendVerdictJson(c, d, engine.evidence(), shadow, &out);
  out += "}";
  return out;
}

std::shared_ptr<const ListSet> BuildStoreLists(const std::vector<store::ListRecord>& entries,
                                               Normaliser* norm, size_t* skipped) {
  auto set = std::make_shared<ListSet>();
  *skipped = 0;
  for (const auto& r : entries) {
    ListEntry e;
    e.kind = r.kind == "allow" ? ListKind::kAllow : ListKind::kBlock;
    e.expires_ms = r.expires_ms.value_or(INT64_MAX);
    e.note = r.note;
    e.source = r.source + " #" + std::to_string(r.id);
    if (!set->AddEntry(r.type, r.value, std::move(e), norm).ok()) ++*skipped;
  }
  return set;
}

std::shared_ptr<const PartnerReputation> BuildPartners(
    const std::vector<store::PartnerIndicator>& v, Normaliser* norm, const std::string& key) {
  auto p = std::make_shared<PartnerReputation>();
  p->hmac_key = key;
  for (const auto& i : v) {
    PartnerEntry e;
    e.strength = std::clamp(i.confidence * i.trust, 0.0, 1.0);
    e.expires_ms = i.valid_until_ms;
    e.note = "partner " + i.partner + (i.reason.empty() ? "" : ": " + i.reason);
    if (i.value_type == "hmac") {
      auto& slot = p->pseudonyms[i.value];
      if (e.strength > slot.strength) slot = e;
    } else {
      Number n;
      norm->Normalise(i.value, &n);
      if (!n.key) continue;
      auto& slot = p->numbers[n.key];
      if (e.strength > slot.strength) slot = e;
    }
  }
  return p;
}

void InstallPartners(Engine& engine, std::shared_ptr<const PartnerReputation> p) {
  if (auto* d = dynamic_cast<ListsDetector*>(engine.FindDetector("lists")))
    d->SetPartners(std::move(p));
}

void InstallStoreLists(Engine& engine, std::shared_ptr<const ListSet> lists) {
  if (auto* d = dynamic_cast<ListsDetector*>(engine.FindDetector("lists")))
    d->SetStoreLists(std::move(lists));
}

}  // namespace callguard
