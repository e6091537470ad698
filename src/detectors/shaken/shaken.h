// ShakenDetector: what STIR/SHAKEN says about the caller ID, as evidence. See README.md beside
// this file. A valid signature is not a verdict (scam operations that own their numbers sign them
// too), so a pass only lowers the risk a little; a failed verification, or a domestic number
// arriving unsigned on a route where calls are signed, is strong evidence of spoofing.
// Stateless; assess() reads only the call. Thread-compatible.
#pragma once

#include <memory>

#include "callguard/detector.h"
#include "core/config_reader.h"

namespace callguard {

class ShakenDetector : public Detector {
 public:
  struct Weights {
    double verification_failed = 2.5;        // Identity present but failed (forged, wrong TN...)
    double unsigned_on_signing_route = 0.8;  // domestic CLI, no Identity, route that signs
    double attest_c_domestic_cli = 0.6;      // gateway attestation for a domestic number
    double attest_a_verified = -0.4;         // full attestation, verified
  };
  struct Options {
    bool enabled = true;
    uint32_t signing_routes = 0;  // bit per Ingress value where calls are expected to be signed
    Weights weights;
  };
  static Options ParseConfig(ConfigNode& node);
  explicit ShakenDetector(const Options& opt) : opt_(opt) {}
  std::string_view name() const override { return "shaken"; }
  void assess(const Call& call, Evidence& out) const override;
  bool learns() const override { return false; }

 private:
  Options opt_;
};

}  // namespace callguard
