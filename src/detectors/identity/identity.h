// IdentityDetector: caller IDs that are spoofed or impossible, judged from the call alone (no
// history). See README.md beside this file for the signals, reason codes and configuration.
//
// State: two read-only lists loaded at start-up and on Reload(): the Do-Not-Originate list
// (inbound-only numbers that never place calls) and the protected identities (numbers that do
// place calls, but only over known domestic routes). assess() does a few hash lookups.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "callguard/detector.h"
#include "core/config.h"
#include "core/config_reader.h"
#include "core/number.h"
#include "core/prefix_map.h"

namespace callguard {

struct EngineState;

class IdentityDetector : public Detector {
 public:
  // National numbers this short are service codes, not subscriber numbers.
  static constexpr size_t kServiceNumberDigits = 6;
  struct Weights {
    double intl_ingress_domestic_cli = 2.5;
    double foreign_origin_domestic_cli = 2.0;
    double voip_ingress_domestic_mobile_cli = 1.0;
    double unparsable_cli = 1.5;
    double invalid_cli = 1.5;
    double short_code_cli_foreign_route = 3.0;
    double dno_cli = 4.0;
    double protected_cli_foreign_route = 4.0;
    double protected_cli_unexpected_route = 2.0;
    double withheld_intl = 1.2;
    double neighbour_spoof = 0.4;
  };
  struct Options {
    bool enabled = true;
    bool builtin_dno = true;             // the region's emergency/police numbers
    std::vector<std::string> dno_files;  // resolved paths
    std::vector<std::string> protected_files;
    int neighbour_prefix_digits = 7;  // shared leading national digits (0 = off)
    Weights weights;
    std::string region = "CN";
  };
  // A protected identity: who it is and the routes it legitimately arrives on.
  struct Protected {
    bool prefix = false;  // a prefix ("95*") rather than one number
    std::string name;
    uint32_t ingress_mask = 0;        // bit per Ingress value
    std::vector<std::string> trunks;  // allowed trunks (any when empty)
    std::string source;               // file:line
  };

  static Options ParseConfig(ConfigNode& node, const Config& cfg);
  static Result<std::unique_ptr<IdentityDetector>> Create(const Options& opt,
                                                          const EngineState& state);

  std::string_view name() const override { return "identity"; }
  void assess(const Call& call, Evidence& out) const override;
  bool learns() const override { return false; }
  Status Reload() override;

  // The emergency and police numbers of a region (national digits), e.g. 110 for CN: the
  // built-in Do-Not-Originate list, and the callees whose calls are never blocked.
  static std::vector<std::string> EmergencyNumbers(std::string_view region);

 private:
  IdentityDetector(const Options& opt, const EngineState& state);
  Status Load();
  bool ForeignRoute(const Call& call) const;

  Options opt_;
  const EngineState& state_;
  std::unique_ptr<Normaliser> norm_;
  struct DnoEntry {
    bool prefix = false;
    std::string source;
  };
  // Longest entry that covers `digits`: a prefix entry, or an exact entry of the same length.
  template <typename V>
  static const V* Lookup(const PrefixMap<V>& m, std::string_view digits) {
    return m.LongestMatchIf(digits,
                            [&](const V& v, size_t n) { return v.prefix || n == digits.size(); });
  }
  PrefixMap<DnoEntry> dno_;
  PrefixMap<Protected> protected_;
};

}  // namespace callguard
