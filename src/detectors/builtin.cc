#include "detectors/builtin.h"

#include "core/config_reader.h"
#include "detectors/behaviour/behaviour.h"
#include "detectors/identity/identity.h"
#include "detectors/lists/lists.h"
#include "detectors/shaken/shaken.h"
#include "detectors/thresholds/thresholds.h"
#include "engine/engine.h"

namespace callguard {

Result<std::vector<std::unique_ptr<Detector>>> MakeBuiltinDetectors(const Config& cfg,
                                                                    const EngineState& state) {
  ConfigErrors errors;
  ConfigNode root(cfg.detectors, "detectors", &errors);
  ConfigNode lists_node = root.Child("lists");
  ConfigNode identity_node = root.Child("identity");
  ConfigNode behaviour_node = root.Child("behaviour");
  ConfigNode thresholds_node = root.Child("thresholds");
  ConfigNode shaken_node = root.Child("shaken");
  root.Finish();

  auto lists_cfg = ListsDetector::ParseConfig(lists_node, cfg);
  auto identity_cfg = IdentityDetector::ParseConfig(identity_node, cfg);
  auto behaviour_cfg = BehaviourDetector::ParseConfig(behaviour_node);
  auto thresholds_cfg = ThresholdsDetector::ParseConfig(thresholds_node, cfg);
  auto shaken_cfg = ShakenDetector::ParseConfig(shaken_node);
  CG_RETURN_IF_ERROR(errors.ToStatus(cfg.file));

  std::vector<std::unique_ptr<Detector>> out;
  if (lists_cfg.enabled) {
    auto d = ListsDetector::Create(lists_cfg, state);
    if (!d.ok()) return d.status();
    out.push_back(std::move(d.value()));
  }
  if (identity_cfg.enabled) {
    auto d = IdentityDetector::Create(identity_cfg, state);
    if (!d.ok()) return d.status();
    out.push_back(std::move(d.value()));
  }
  if (shaken_cfg.enabled) out.push_back(std::make_unique<ShakenDetector>(shaken_cfg));
  if (behaviour_cfg.enabled)
    out.push_back(std::make_unique<BehaviourDetector>(behaviour_cfg, state));
  if (thresholds_cfg.enabled) {
    auto d = ThresholdsDetector::Create(thresholds_cfg, state);
    if (!d.ok()) return d.status();
    out.push_back(std::move(d.value()));
  }
  return out;
}

}  // namespace callguard
