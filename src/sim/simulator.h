// Simulator: a telephone network with scam operations in it, for measuring detection honestly.
//
// Generates every population of a Scenario (ordinary subscribers with contact networks and
// daily rhythm, legitimate high-volume callers, scam operations of several kinds) as call
// records, sorted by time, with ground truth. Deterministic for a seed: each population draws
// from its own random stream. The reasoning and sources behind each distribution are in
// docs/simulator.md. Single-threaded.
#pragma once

#include <cstdint>
#include <string>

#include "callguard/status.h"
#include "sim/scenario.h"

namespace callguard::sim {

struct SimulationSummary {
  uint64_t calls = 0;
  uint64_t scam_calls = 0;
  uint64_t numbers = 0;
  uint64_t subscribers = 0;
  double seconds = 0;
};

// Writes DIR/calls.csv (the call-record contract with label and operation), DIR/subscribers.csv
// and DIR/truth.json. Creates DIR if needed.
Result<SimulationSummary> Simulate(const Scenario& scenario, uint64_t seed, const std::string& dir);

}  // namespace callguard::sim
