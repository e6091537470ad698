// Config: callguard's one YAML configuration file (version 1), loaded and validated.
//
// Every key has a documented default (docs/configuration.md); unknown keys are errors that name
// their path. The sections that belong to detectors are kept as YAML and parsed by each detector
// (src/detectors/builtin.cc) with the same error list, so one load reports every mistake.
// A Config is an immutable value once loaded; share it freely between threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "callguard/status.h"
#include "core/api_config.h"
#include "core/investigate_config.h"
#include "core/serve_config.h"

namespace callguard {

struct EngineConfig {
  std::string region = "CN";            // default numbering region for national-format numbers
  int utc_offset_min = 480;             // local time of the network (night share, rule windows)
  bool shadow = false;                  // decide and log, but always allow
  uint64_t expected_numbers = 1 << 16;  // initial per-number table size (they grow as needed)
  double pair_filter_mb = 64;           // memory of the "has A called B" filter
  double profile_idle_expiry_s = 90 * 86400.0;  // profiles idle this long are dropped
};

struct PolicyConfig {
  double label = 0.5;              // score at or above which a call is labelled "suspected scam"
  double warn = 0.8;               // ... the callee is warned
  double block = 0.95;             // ... the call is blocked
  bool protect_registered = true;  // registered callers and allow-lists: at most `label`
};

struct IngestConfig {
  double reorder_tolerance_s = 300;  // records earlier than this behind the latest are reported
  int64_t max_field_bytes = 1024;    // a longer field rejects its record
  int64_t max_record_bytes = 65536;  // a longer record (e.g. an unclosed quote) is rejected
};

struct Config {
  int version = 1;
  EngineConfig engine;
  PolicyConfig policy;
  IngestConfig ingest;
  ServeConfig serve;
  ShakenConfig shaken;
  StoreConfig store;
  ApiConfig api;
  InvestigateConfig investigate;
  YAML::Node detectors;  // parsed by the detectors
  std::string base_dir;  // directory of the config file: relative paths resolve against it
  std::string file;      // the file it came from, for messages ("" for defaults)

  // Resolves a path from the config relative to base_dir.
  std::string ResolvePath(const std::string& p) const;
};

// Loads and validates a configuration file. An empty path gives the defaults.
Result<Config> LoadConfig(const std::string& path);
// Parses configuration text (for tests and for embedded defaults).
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& base_dir);

}  // namespace callguard
