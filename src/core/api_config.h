// StoreConfig and ApiConfig: the `store:` and `api:` sections of the configuration, read by
// `callguard serve` and `callguard token`. Plain values, parsed with the rest of the file.
#pragma once

#include <cstdint>
#include <string>

#include "core/config_reader.h"

namespace callguard {

struct StoreConfig {
  // "" = SQLite at <data_dir>/callguard.db; "postgresql://user@host:port/db" = PostgreSQL.
  std::string url;
  std::string data_dir = "callguard-data";  // resolved against the config's directory
  int pool = 8;                             // connections
  // Verdict audit trail: off | decisions (every label/warn/block and a sample of allows) |
  // sampled (a sample of every verdict) | all.
  std::string verdicts = "decisions";
  double verdict_sample = 0.01;
  double verdict_retention_days = 90;
  double access_retention_days = 365;
  double list_refresh_s = 5;  // re-read list entries written by other servers or the CLI
  // The store URL to open: `url`, or the SQLite file in the data directory.
  std::string Url() const;
};

struct ApiConfig {
  bool require_tokens = true;  // false only for a closed test network: every role is allowed
  std::string tls_cert;        // PEM files; both set = HTTPS
  std::string tls_key;
  double public_rate_per_minute = 30;  // POST /v1/reports and /v1/appeals, per source address
  double public_burst = 10;
  double token_cache_s = 5;  // a revoked token stops working within this long
  int64_t max_json_bytes = 65536;
  double read_timeout_s = 10;  // a client that has not sent its whole request by then is dropped
  int max_field_chars = 2000;  // longest accepted text field
  bool dashboard = true;
  std::string dashboard_dir;  // "" = the assets built with callguard
};

void ParseStoreConfig(ConfigNode node, const std::string& base_dir, StoreConfig* out);
void ParseApiConfig(ConfigNode node, const std::string& base_dir, ApiConfig* out);

}  // namespace callguard
