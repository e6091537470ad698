// Drives detectors through a real engine built from configuration text.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "engine/engine.h"
#include "test_util.h"

namespace callguard::testing {

inline std::unique_ptr<Engine> EngineFor(const std::string& yaml, const std::string& dir = "",
                                         std::shared_ptr<const Subscribers> subs = nullptr) {
  auto cfg =
      ParseConfig("version: 1\nengine: {pair_filter_mb: 1, expected_numbers: 4096}\n" + yaml, dir);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto e = Engine::Create(cfg.value(), std::move(subs));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(e.value());
}

// Processes the call (assess, decide, observe) and returns its reason codes.
inline std::set<std::string> Codes(Engine& e, const Call& c) {
  e.Process(c);
  std::set<std::string> out;
  for (const auto& r : e.evidence()) out.insert(std::string(r.code));
  return out;
}

inline std::string Detail(const Engine& e, std::string_view code) {
  for (const auto& r : e.evidence())
    if (r.code == code) return r.detail;
  return "";
}

// Only the named detector enabled.
inline std::string Only(const std::string& name, const std::string& body = "{}") {
  std::string y = "detectors:\n";
  for (const char* d : {"lists", "identity", "shaken", "behaviour", "thresholds"})
    y += std::string("  ") + d + ": " + (name == d ? body : std::string("{enabled: false}")) + "\n";
  return y;
}

}  // namespace callguard::testing
