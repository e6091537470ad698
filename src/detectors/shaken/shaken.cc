#include "detectors/shaken/shaken.h"

#include "callguard/evidence.h"

namespace callguard {

ShakenDetector::Options ShakenDetector::ParseConfig(ConfigNode& node) {
  Options o;
  o.enabled = node.Bool("enabled", true);
  std::vector<std::string> routes = {"voip", "interconnect"};
  if (node.Has("signing_routes")) routes = node.StringList("signing_routes");
  for (const auto& r : routes) {
    Ingress i;
    if (!ParseIngress(r, &i) || i == Ingress::kUnknown) {
      node.Error("signing_routes", "unknown ingress '" + r + "'");
      continue;
    }
    o.signing_routes |= 1u << static_cast<int>(i);
  }
  ConfigNode w = node.Child("weights");
  o.weights.verification_failed = w.Number("verification_failed", 2.5, -10, 10);
  o.weights.unsigned_on_signing_route = w.Number("unsigned_on_signing_route", 0.8, -10, 10);
  o.weights.attest_c_domestic_cli = w.Number("attest_c_domestic_cli", 0.6, -10, 10);
  o.weights.attest_a_verified = w.Number("attest_a_verified", -0.4, -10, 10);
  w.Finish();
  node.Finish();
  return o;
}

void ShakenDetector::assess(const Call& call, Evidence& out) const {
  const Weights& w = opt_.weights;
  bool domestic = call.caller.domestic && call.caller.status == NumberStatus::kValid;
  switch (call.shaken) {
    case ShakenStatus::kFailed:
      out.Add(name(), "shaken_verification_failed", w.verification_failed,
              "the caller ID's STIR/SHAKEN signature did not verify");
      return;
    case ShakenStatus::kNone:
      if (domestic && (opt_.signing_routes >> static_cast<int>(call.ingress) & 1u))
        out.Add(name(), "unsigned_domestic_cli", w.unsigned_on_signing_route,
                "a domestic number arrived unsigned on a route where calls are signed");
      return;
    case ShakenStatus::kUnknown:
    case ShakenStatus::kPassed:
      break;  // batch records carry only the attestation of a verified Identity
  }
  if (call.attestation == Attestation::kC && domestic)
    out.Add(name(), "attest_c_domestic_cli", w.attest_c_domestic_cli,
            "gateway attestation (C): the signer does not vouch for this domestic number");
  else if (call.attestation == Attestation::kA)
    out.Add(name(), "attest_a_verified", w.attest_a_verified,
            "full attestation (A) verified: the signing carrier vouches for the number");
}

}  // namespace callguard
