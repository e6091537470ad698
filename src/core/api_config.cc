#include "core/api_config.h"

namespace callguard {

std::string StoreConfig::Url() const {
  if (!url.empty()) return url;
  return "sqlite:" + data_dir + "/callguard.db";
}

void ParseStoreConfig(ConfigNode n, const std::string& base_dir, StoreConfig* out) {
  out->url = n.String("url", "");
  if (!out->url.empty() && out->url.rfind("postgresql://", 0) != 0 &&
      out->url.rfind("postgres://", 0) != 0 && out->url.rfind("sqlite:", 0) != 0)
    n.Error("url", "expected postgresql://... or sqlite:PATH, got '" + out->url + "'");
  if (out->url.rfind("sqlite:", 0) == 0)
    out->url = "sqlite:" + ResolveConfigPath(base_dir, out->url.substr(7));
  out->data_dir = ResolveConfigPath(base_dir, n.String("data_dir", out->data_dir));
  out->pool = static_cast<int>(n.Int("pool", 8, 1, 64));
  out->verdicts = n.Choice("verdicts", "decisions", {"off", "decisions", "sampled", "all"});
  out->verdict_sample = n.Number("verdict_sample", 0.01, 0, 1);
  out->verdict_retention_days = n.Number("verdict_retention_days", 90, 0.001, 36500);
  out->access_retention_days = n.Number("access_retention_days", 365, 0.001, 36500);
  out->list_refresh_s = n.Duration("list_refresh", 5);
  n.Finish();
}

void ParseApiConfig(ConfigNode n, const std::string& base_dir, ApiConfig* out) {
  out->require_tokens = n.Bool("require_tokens", true);
  out->tls_cert = ResolveConfigPath(base_dir, n.String("tls_cert", ""));
  out->tls_key = ResolveConfigPath(base_dir, n.String("tls_key", ""));
  if (out->tls_cert.empty() != out->tls_key.empty())
    n.Error(out->tls_cert.empty() ? "tls_cert" : "tls_key",
            "tls_cert and tls_key must be set together");
  out->public_rate_per_minute = n.Number("public_rate_per_minute", 30, 0.01, 1e6);
  out->public_burst = n.Number("public_burst", 10, 1, 1e6);
  out->token_cache_s = n.Duration("token_cache", 5);
  out->max_json_bytes = n.Int("max_json_bytes", 65536, 256, 64 << 20);
  out->read_timeout_s = n.Duration("read_timeout", 10);
  out->max_field_chars = static_cast<int>(n.Int("max_field_chars", 2000, 16, 1 << 20));
  out->dashboard = n.Bool("dashboard", true);
  out->dashboard_dir = ResolveConfigPath(base_dir, n.String("dashboard_dir", ""));
  n.Finish();
}

}  // namespace callguard
