#include "detectors/lists/lists.h"

#include "engine/engine.h"

namespace callguard {

ListsDetector::Options ListsDetector::ParseConfig(ConfigNode& node, const Config& cfg) {
  Options o;
  o.enabled = node.Bool("enabled", true);
  for (const auto& f : node.StringList("files")) o.files.push_back(cfg.ResolvePath(f));
  ConfigNode w = node.Child("weights");
  o.block_weight = w.Number("block", o.block_weight, 0, 100);
  o.allow_weight = w.Number("allow", o.allow_weight, -100, 0);
  o.registered_weight = w.Number("registered", o.registered_weight, -100, 0);
  o.partner_weight = w.Number("partner", o.partner_weight, 0, 100);
  w.Finish();
  node.Finish();
  o.region = cfg.engine.region;
  return o;
}

ListsDetector::ListsDetector(const Options& opt, const EngineState& state)
    : opt_(opt), state_(state) {}

Result<std::unique_ptr<ListsDetector>> ListsDetector::Create(const Options& opt,
                                                             const EngineState& state) {
  std::unique_ptr<ListsDetector> d(new ListsDetector(opt, state));
  auto norm = Normaliser::Create(opt.region);
  if (!norm.ok()) return norm.status();
  d->norm_ = std::move(norm.value());
  auto lists = d->LoadAll();
  if (!lists.ok()) return lists.status();
  d->lists_ = std::move(lists.value());
  return d;
}

Result<std::shared_ptr<const ListSet>> ListsDetector::LoadAll() {
  auto set = std::make_shared<ListSet>();
  for (const auto& f : opt_.files) CG_RETURN_IF_ERROR(set->LoadFile(f, norm_.get()));
  return std::shared_ptr<const ListSet>(std::move(set));
}

Status ListsDetector::Reload() {
  auto lists = LoadAll();
  if (!lists.ok()) return lists.status();
  lists_ = std::move(lists.value());
  return Status::Ok();
}

void ListsDetector::assess(const Call& call, Evidence& out) const {
  const ListSet& l = *lists_;
  const ListSet& s = *store_lists_;
  const int64_t now = call.start_ms;
  struct Candidate {
    const ListEntry* e;
    std::string_view what;
  };
  auto pick = [now](const ListEntry* from_store, const ListEntry* from_file) {
    return from_store != nullptr && from_store->Active(now) ? from_store : from_file;
  };
  const bool any = s.size() > 0;
  Candidate order[] = {
      {any ? pick(s.MatchNumber(call.caller), l.MatchNumber(call.caller))
           : l.MatchNumber(call.caller),
       "number"},
      {any ? pick(s.MatchPrefix(call.caller), l.MatchPrefix(call.caller))
           : l.MatchPrefix(call.caller),
       "prefix"},
      {any ? pick(s.MatchTrunk(call.trunk), l.MatchTrunk(call.trunk)) : l.MatchTrunk(call.trunk),
       "trunk"},
      {any ? pick(s.MatchIp(call.origin_ip), l.MatchIp(call.origin_ip)) : l.MatchIp(call.origin_ip),
       "origin address"},
      {any ? pick(s.MatchCountry(call.origin_country), l.MatchCountry(call.origin_country))
           : l.MatchCountry(call.origin_country),
       "origin country"},
  };
  for (const Candidate& c : order) {
    if (c.e == nullptr || !c.e->Active(now)) continue;
    std::string detail = std::string(c.what) + " on the " +
                         (c.e->kind == ListKind::kBlock ? "block" : "allow") + " list (" +
                         c.e->source + ")";
    if (!c.e->note.empty()) detail += ": " + c.e->note;
    if (c.e->kind == ListKind::kBlock) {
      static constexpr std::string_view kCodes[] = {"blocklist_number", "blocklist_prefix",
                                                    "blocklist_trunk", "blocklist_origin_ip",
                                                    "blocklist_origin_country"};
      out.Add(name(), kCodes[&c - order], opt_.block_weight, std::move(detail));
      out.blocklisted = true;
    } else {
      static constexpr std::string_view kCodes[] = {"allowlist_number", "allowlist_prefix",
                                                    "allowlist_trunk", "allowlist_origin_ip",
                                                    "allowlist_origin_country"};
      out.Add(name(), kCodes[&c - order], opt_.allow_weight, std::move(detail));
      out.protected_caller = true;
    }
    break;  // the most specific active entry decides
  }
  if (partners_->size() > 0 && !out.blocklisted && !out.protected_caller) {
    if (const PartnerEntry* p = partners_->Match(call.caller, now)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " (strength %.2f)", p->strength);
      out.Add(name(), "partner_indicator", opt_.partner_weight * p->strength, p->note, buf);
    }
  }
  if (call.caller.key != 0 && !out.blocklisted) {
    if (const Subscriber* s = state_.subscribers->Find(call.caller.key); s && s->registered) {
      out.Add(name(), "registered_caller", opt_.registered_weight,
              "registered caller: ", s->registered_name);
      out.protected_caller = true;
    }
  }
}

}  // namespace callguard
