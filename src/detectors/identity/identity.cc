#include "detectors/identity/identity.h"

#include "detectors/lists/list_set.h"
#include "engine/engine.h"
#include "ingest/list_file.h"

namespace callguard {

IdentityDetector::Options IdentityDetector::ParseConfig(ConfigNode& node, const Config& cfg) {
  Options o;
  o.enabled = node.Bool("enabled", true);
  o.builtin_dno = node.Bool("builtin_dno", true);
  for (const auto& f : node.StringList("dno_files")) o.dno_files.push_back(cfg.ResolvePath(f));
  for (const auto& f : node.StringList("protected_files"))
    o.protected_files.push_back(cfg.ResolvePath(f));
  o.neighbour_prefix_digits = static_cast<int>(node.Int("neighbour_prefix_digits", 7, 0, 14));
  ConfigNode w = node.Child("weights");
  Weights& k = o.weights;
  k.intl_ingress_domestic_cli =
      w.Number("intl_ingress_domestic_cli", k.intl_ingress_domestic_cli, 0, 100);
  k.foreign_origin_domestic_cli =
      w.Number("foreign_origin_domestic_cli", k.foreign_origin_domestic_cli, 0, 100);
  k.voip_ingress_domestic_mobile_cli =
      w.Number("voip_ingress_domestic_mobile_cli", k.voip_ingress_domestic_mobile_cli, 0, 100);
  k.unparsable_cli = w.Number("unparsable_cli", k.unparsable_cli, 0, 100);
  k.invalid_cli = w.Number("invalid_cli", k.invalid_cli, 0, 100);
  k.short_code_cli_foreign_route =
      w.Number("short_code_cli_foreign_route", k.short_code_cli_foreign_route, 0, 100);
  k.dno_cli = w.Number("dno_cli", k.dno_cli, 0, 100);
  k.protected_cli_foreign_route =
      w.Number("protected_cli_foreign_route", k.protected_cli_foreign_route, 0, 100);
  k.protected_cli_unexpected_route =
      w.Number("protected_cli_unexpected_route", k.protected_cli_unexpected_route, 0, 100);
  k.withheld_intl = w.Number("withheld_intl", k.withheld_intl, 0, 100);
  k.neighbour_spoof = w.Number("neighbour_spoof", k.neighbour_spoof, 0, 100);
  w.Finish();
  node.Finish();
  o.region = cfg.engine.region;
  return o;
}

std::vector<std::string> IdentityDetector::EmergencyNumbers(std::string_view region) {
  // Emergency and police numbers answer calls; they never place them.
  if (region == "CN") return {"110", "112", "119", "120", "122", "12110", "12119"};
  if (region == "US" || region == "CA") return {"911", "933"};
  if (region == "GB") return {"999", "112"};
  if (region == "AU") return {"000", "112", "106"};
  if (region == "IN") return {"100", "101", "102", "108", "112"};
  if (region == "JP") return {"110", "119", "118"};
  if (region == "KR") return {"112", "119"};
  if (region == "TW") return {"110", "119", "112"};
  if (region == "HK") return {"999", "112"};
  return {"112"};
}

IdentityDetector::IdentityDetector(const Options& opt, const EngineState& state)
    : opt_(opt), state_(state) {}

Result<std::unique_ptr<IdentityDetector>> IdentityDetector::Create(const Options& opt,
                                                                   const EngineState& state) {
  std::unique_ptr<IdentityDetector> d(new IdentityDetector(opt, state));
  auto norm = Normaliser::Create(opt.region);
  if (!norm.ok()) return norm.status();
  d->norm_ = std::move(norm.value());
  CG_RETURN_IF_ERROR(d->Load());
  return d;
}

Status IdentityDetector::Reload() {
  PrefixMap<DnoEntry> old_dno = std::move(dno_);
  PrefixMap<Protected> old_prot = std::move(protected_);
  dno_ = {};
  protected_ = {};
  Status s = Load();
  if (!s.ok()) {
    dno_ = std::move(old_dno);
    protected_ = std::move(old_prot);
  }
  return s;
}

Status IdentityDetector::Load() {
  uint16_t cc = norm_->home_country_code();
  if (opt_.builtin_dno) {
    for (const auto& n : EmergencyNumbers(opt_.region)) {
      // Exact numbers: a longer number that merely starts with 110 is not the police.
      dno_.Insert(ListDigits(n, cc), DnoEntry{false, "built-in list for " + opt_.region});
    }
  }
  for (const auto& file : opt_.dno_files) {
    CG_RETURN_IF_ERROR(ForEachListRecord(
        file, 1, [&](const std::vector<std::string_view>& f, const std::string& where) -> Status {
          std::string_view v = f[0];
          bool prefix = !v.empty() && v.back() == '*';
          if (prefix) v.remove_suffix(1);
          std::string d = ListDigits(v, cc);
          if (d.empty())
            return Status::InvalidArgument(where + ": '" + std::string(f[0]) +
                                           "' is not a number or prefix");
          dno_.Insert(d, DnoEntry{prefix, where});
          return Status::Ok();
        }));
  }
  for (const auto& file : opt_.protected_files) {
    CG_RETURN_IF_ERROR(ForEachListRecord(
        file, 2, [&](const std::vector<std::string_view>& f, const std::string& where) -> Status {
          std::string_view v = f[0];
          if (v == "number") return Status::Ok();  // header row
          bool prefix = !v.empty() && v.back() == '*';
          if (prefix) v.remove_suffix(1);
          std::string d = ListDigits(v, cc);
          if (d.empty())
            return Status::InvalidArgument(where + ": '" + std::string(f[0]) +
                                           "' is not a number or prefix");
          Protected p;
          p.source = where;
          p.prefix = prefix;
          if (f.size() >= 3) p.name.assign(f[2]);
          std::string_view routes = f[1];
          while (!routes.empty()) {
            auto bar = routes.find('|');
            std::string_view r = routes.substr(0, bar);
            routes = bar == std::string_view::npos ? "" : routes.substr(bar + 1);
            if (r.substr(0, 6) == "trunk:") {
              p.trunks.emplace_back(r.substr(6));
              continue;
            }
            Ingress ing;
            if (r.empty() || !ParseIngress(r, &ing))
              return Status::InvalidArgument(where + ": route '" + std::string(r) +
                                             "' is not an ingress kind or trunk:<id>");
            p.ingress_mask |= 1u << static_cast<int>(ing);
          }
          protected_.Insert(d, std::move(p));
          return Status::Ok();
        }));
  }
  return Status::Ok();
}

}  // namespace callguard

namespace callguard {

bool IdentityDetector::ForeignRoute(const Call& call) const {
  return call.ingress == Ingress::kInternational ||
         (!call.origin_country.empty() && call.origin_country != opt_.region);
}

void IdentityDetector::assess(const Call& call, Evidence& out) const {
  const Number& cli = call.caller;
  const Weights& w = opt_.weights;
  const bool foreign = ForeignRoute(call);

  // The contract keeps a called number that is not valid as raw text, with a reason. It says
  // nothing about the caller, so it weighs nothing.
  if (call.callee.status == NumberStatus::kInvalid ||
      call.callee.status == NumberStatus::kUnparsable)
    out.Add(name(), "callee_not_valid", 0.0, "called number '", call.callee.text,
            "' is not a valid number (kept as dialled)");

  if (cli.withheld()) {
    if (foreign)
      out.Add(name(), "withheld_intl", w.withheld_intl,
              "caller ID withheld on an international route");
    return;
  }
  if (cli.status == NumberStatus::kUnparsable) {
    out.Add(name(), "unparsable_cli", w.unparsable_cli, "caller ID '", cli.text,
            "' is not a telephone number");
    return;
  }
  std::string_view digits = cli.digits();

  // Inbound-only numbers never place calls: any call from them is spoofed.
  if (const DnoEntry* e = Lookup(dno_, digits)) {
    out.Add(name(), "dno_cli", w.dno_cli, "caller ID ", cli.e164,
            " is on the do-not-originate list (", e->source, ")");
    return;
  }
  // Protected identities place calls only over their own domestic routes.
  if (const Protected* p = Lookup(protected_, digits)) {
    std::string who = p->name.empty() ? cli.e164 : p->name + " (" + cli.e164 + ")";
    if (foreign) {
      out.Add(name(), "protected_cli_foreign_route", w.protected_cli_foreign_route,
              "protected identity ", who, " presented on an international route");
      return;
    }
    bool ingress_ok =
        p->ingress_mask == 0 || (p->ingress_mask >> static_cast<int>(call.ingress)) & 1;
    bool trunk_ok = p->trunks.empty();
    for (const auto& t : p->trunks) trunk_ok |= t == call.trunk;
    if (!ingress_ok || !trunk_ok) {
      std::string route = call.ingress == Ingress::kUnknown ? std::string("unknown ingress")
                                                            : std::string(ToString(call.ingress));
      if (!call.trunk.empty()) route += " via trunk " + call.trunk;
      out.Add(name(), "protected_cli_unexpected_route", w.protected_cli_unexpected_route,
              "protected identity ", who, " arrived on an unexpected route (", route, ")");
    }
    return;
  }
  // National service numbers (110, 95588, 12345, 96110...) are shorter than subscriber numbers;
  // libphonenumber knows only some of them, so judge them by length: normal on a domestic route,
  // spoofed from abroad or from the internet.
  const size_t cc_len = cli.country_code < 10 ? 1 : cli.country_code < 100 ? 2 : 3;
  const bool service_length =
      cli.domestic && digits.size() > cc_len && digits.size() - cc_len <= kServiceNumberDigits;
  if (cli.status == NumberStatus::kShortCode ||
      (cli.status == NumberStatus::kInvalid && service_length)) {
    if (foreign || call.ingress == Ingress::kVoip)
      out.Add(name(), "short_code_cli_foreign_route", w.short_code_cli_foreign_route,
              "national short code ", cli.text, " presented on an ",
              (foreign ? "international" : "internet (VoIP)"), " route");
    return;
  }
  if (cli.status == NumberStatus::kInvalid) {
    out.Add(name(), "invalid_cli", w.invalid_cli, "caller ID ", cli.text,
            " is not a valid or allocated number in the numbering plan");
    return;
  }
  // A valid number from here on.
  if (cli.domestic) {
    if (call.ingress == Ingress::kInternational) {
      out.Add(name(), "intl_ingress_domestic_cli", w.intl_ingress_domestic_cli,
              "international ingress presenting a domestic ", ToString(cli.type), " number");
    } else if (foreign) {
      out.Add(name(), "foreign_origin_domestic_cli", w.foreign_origin_domestic_cli,
              "call originated in ", call.origin_country, " presenting a domestic ",
              ToString(cli.type), " number");
    } else if (call.ingress == Ingress::kVoip && cli.type == NumberType::kMobile &&
               call.attestation != Attestation::kA) {
      out.Add(name(), "voip_ingress_domestic_mobile_cli", w.voip_ingress_domestic_mobile_cli,
              "internet (VoIP) ingress presenting a domestic mobile number without full "
              "attestation");
    }
  }
  // Neighbour spoofing: the caller ID imitates the callee's own number block.
  const int k = opt_.neighbour_prefix_digits;
  if (k > 0 && cli.domestic && call.callee.domestic && call.callee.valid() &&
      call.ingress != Ingress::kMobile && call.ingress != Ingress::kFixed &&
      cli.key != call.callee.key) {
    std::string_view a = digits, b = call.callee.digits();
    if (a.size() == b.size() && a.size() >= cc_len + k &&
        a.compare(0, cc_len + k, b, 0, cc_len + k) == 0) {
      out.Add(name(), "neighbour_spoof", w.neighbour_spoof, "caller ID shares its first ", k,
              " national digits with the callee's number");
    }
  }
}

}  // namespace callguard
