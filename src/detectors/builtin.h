// The one explicit list of built-in detectors (no static self-registration): their order is the
// order of assess() and observe(), and of reasons with equal weight.
#pragma once

#include <memory>
#include <vector>

#include "callguard/detector.h"
#include "core/config.h"

namespace callguard {

struct EngineState;

// Parses the `detectors` section of the configuration (reporting unknown keys with their path)
// and builds the enabled detectors in their fixed order: lists, identity, behaviour, thresholds.
Result<std::vector<std::unique_ptr<Detector>>> MakeBuiltinDetectors(const Config& cfg,
                                                                    const EngineState& state);

}  // namespace callguard
