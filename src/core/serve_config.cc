#include "core/serve_config.h"

#include <charconv>

namespace callguard {

namespace {

void MaskTo(IpAddress* ip, int len) {
  for (int i = 0; i < 16; ++i) {
    int bits = len - i * 8;
    if (bits >= 8) continue;
    ip->bytes[i] = bits <= 0 ? 0 : static_cast<uint8_t>(ip->bytes[i] & (0xff << (8 - bits)));
  }
}

}  // namespace

bool IngressRule::Matches(const IpAddress& ip) const {
  if (!ip.present) return false;
  IpAddress m = ip;
  MaskTo(&m, prefix_len);
  return std::equal(m.bytes, m.bytes + 16, net.bytes);
}

bool ParseCidr(std::string_view s, IpAddress* net, int* prefix_len) {
  size_t slash = s.find('/');
  if (!ParseIp(s.substr(0, slash), net)) return false;
  int max = net->is_v4() ? 32 : 128;
  int len = max;
  if (slash != std::string_view::npos) {
    std::string_view l = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || p != l.data() + l.size() || len < 0 || len > max) return false;
  }
  *prefix_len = net->is_v4() ? len + 96 : len;
  MaskTo(net, *prefix_len);
  return true;
}

void ParseServeConfig(ConfigNode n, ServeConfig* out) {
  if (n.Has("sip")) out->sip = n.StringList("sip");
  for (size_t i = 0; i < out->sip.size(); ++i) {
    const std::string& l = out->sip[i];
    if (l.rfind("udp://", 0) != 0 && l.rfind("tcp://", 0) != 0)
      n.Error("sip[" + std::to_string(i) + "]",
              "expected udp://host:port or tcp://host:port, got '" + l + "'");
  }
  out->http = n.String("http", out->http);
  out->http_threads = static_cast<int>(n.Int("http_threads", 4, 1, 256));
  out->deadline_ms = n.Number("deadline_ms", 5, 0.05, 10000);
  out->fail_open = n.Bool("fail_open", true);
  out->queue = static_cast<int>(n.Int("queue", 4096, 1, 1 << 24));
  out->max_message_bytes = static_cast<int>(n.Int("max_message_bytes", 65536, 1024, 1 << 20));
  out->max_tcp_connections = static_cast<int>(n.Int("max_tcp_connections", 4096, 1, 1 << 20));
  out->tcp_idle_timeout_s = n.Duration("tcp_idle_timeout", 30);
  out->transaction_ttl_s = n.Duration("transaction_ttl", 32);
  out->transaction_cache = static_cast<int>(n.Int("transaction_cache", 1 << 20, 16, 1 << 26));
  out->state = n.String("state", "");
  out->snapshot_interval_s = n.Duration("snapshot_interval", 300);
  out->spool = n.String("spool", "");
  out->spool_poll_s = n.Duration("spool_poll", 1);
  out->max_cdr_body_bytes = n.Int("max_cdr_body_bytes", 64 << 20, 1024, int64_t{1} << 34);
  out->trust_proxy_headers = n.Bool("trust_proxy_headers", true);
  std::string def = n.String("default_ingress", "unknown");
  if (def != "unknown" && !ParseIngress(def, &out->default_ingress))
    n.Error("default_ingress", "unknown ingress '" + def + "'");
  for (ConfigNode r : n.List("ingress_rules")) {
    IngressRule rule;
    std::string cidr = r.String("cidr", "");
    if (!ParseCidr(cidr, &rule.net, &rule.prefix_len))
      r.Error("cidr", "expected an address or prefix such as 203.0.113.0/24, got '" + cidr + "'");
    std::string ing = r.String("ingress", "unknown");
    if (ing != "unknown" && !ParseIngress(ing, &rule.ingress))
      r.Error("ingress", "unknown ingress '" + ing + "'");
    rule.trunk = r.String("trunk", "");
    rule.country = r.String("country", "");
    r.Finish();
    out->ingress_rules.push_back(std::move(rule));
  }
  ConfigNode a = n.Child("answers");
  out->answers.block_code = static_cast<int>(a.Int("block_code", 603, 600, 699));
  if (out->answers.block_code != 603 && out->answers.block_code != 607 &&
      out->answers.block_code != 608)
    a.Error("block_code", "expected 603, 607 or 608");
  out->answers.block_text = a.String("block_text", out->answers.block_text);
  out->answers.reason_header = a.Bool("reason_header", true);
  out->answers.redress_url = a.String("redress_url", "");
  out->answers.x_headers = a.Bool("x_headers", true);
  out->answers.verstat = a.Bool("verstat", true);
  out->answers.verstat_param = a.String("verstat_param", out->answers.verstat_param);
  out->answers.label_value = a.String("label_value", out->answers.label_value);
  out->answers.warn_value = a.String("warn_value", out->answers.warn_value);
  a.Finish();
  n.Finish();
}

void ParseShakenConfig(ConfigNode n, const std::string& base_dir, ShakenConfig* out) {
  out->verify = n.Bool("verify", true);
  for (const auto& f : n.StringList("trust_anchors"))
    out->trust_anchors.push_back(ResolveConfigPath(base_dir, f));
  for (const auto& f : n.StringList("crl_files"))
    out->crl_files.push_back(ResolveConfigPath(base_dir, f));
  out->freshness_s = n.Int("freshness", 60, 1, 86400);
  out->require_identity = n.Bool("require_identity", false);
  out->reject_anonymous = n.Bool("reject_anonymous", false);
  out->fetch_timeout_s = n.Duration("fetch_timeout", 2);
  out->max_cert_bytes = n.Int("max_cert_bytes", 64 * 1024, 1024, 1 << 24);
  out->tls_ca_file = n.String("tls_ca_file", "");
  out->allow_private_x5u = n.Bool("allow_private_x5u", false);
  out->cert_ttl_s = static_cast<int64_t>(n.Duration("cert_ttl", 3600));
  out->cert_max_ttl_s = static_cast<int64_t>(n.Duration("cert_max_ttl", 86400));
  out->cert_negative_ttl_s = static_cast<int64_t>(n.Duration("cert_negative_ttl", 60));
  ConfigNode c = n.Child("codes");
  out->code_bad_identity_info = static_cast<int>(c.Int("bad_identity_info", 436, 400, 699));
  out->code_unsupported_credential =
      static_cast<int>(c.Int("unsupported_credential", 437, 400, 699));
  out->code_invalid_identity = static_cast<int>(c.Int("invalid_identity", 438, 400, 699));
  out->code_tn_mismatch = static_cast<int>(c.Int("tn_mismatch", 438, 400, 699));
  out->code_bad_iat = static_cast<int>(c.Int("bad_iat", 438, 400, 699));
  out->code_stale_date = static_cast<int>(c.Int("stale_date", 403, 400, 699));
  out->code_use_identity = static_cast<int>(c.Int("use_identity", 428, 400, 699));
  out->code_anonymity_disallowed = static_cast<int>(c.Int("anonymity_disallowed", 433, 400, 699));
  c.Finish();
  n.Finish();
}

}  // namespace callguard
