// ServeConfig: the `serve:` section of the configuration, read by `callguard serve` (listeners,
// deadlines, the SIP answers, how the route a call came in on is known, CDR intake, state).
// Parsed with the rest of the file so that one load reports every mistake; a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "callguard/call.h"
#include "core/config_reader.h"

namespace callguard {

// How screening learns the route of a call that arrives from a given signalling address.
struct IngressRule {
  IpAddress net;       // network address (v4-mapped for IPv4)
  int prefix_len = 0;  // in the 128-bit (v4-mapped) space
  Ingress ingress = Ingress::kUnknown;
  std::string trunk;
  std::string country;
  bool Matches(const IpAddress& ip) const;
};

struct SipAnswerConfig {
  int block_code = 603;                        // 603 Decline, 607 Unwanted or 608 Rejected
  std::string block_text = "Network Blocked";  // Reason header text (ATIS-1000099 wording)
  bool reason_header = true;                   // Reason: SIP;cause=<code>;text="<block_text>"
  std::string redress_url;  // Call-Info on a block: where a blocked caller can appeal
  bool x_headers = true;    // X-Callguard-Action / -Score / -Reason on every answer
  bool verstat = true;      // P-Asserted-Identity with a verstat-style parameter in Contact
  std::string verstat_param = "verstat";
  std::string label_value = "Suspected-Scam";  // parameter value for label and warn
  std::string warn_value = "Scam-Warning";
};

struct ServeConfig {
  std::vector<std::string> sip = {"udp://127.0.0.1:5060", "tcp://127.0.0.1:5060"};
  std::string http = "127.0.0.1:8080";  // "" turns the HTTP listener off
  int http_threads = 4;
  double deadline_ms = 5;  // a call not answered this long after it arrived fails open
  bool fail_open = true;   // on deadline/queue overflow: proceed (true) or 503 (false)
  int queue = 4096;        // HTTP screening requests waiting for the engine
  int max_message_bytes = 65536;
  int max_tcp_connections = 4096;
  double tcp_idle_timeout_s = 30;  // a TCP peer silent this long (or stalled mid-message) is closed
  double transaction_ttl_s = 32;   // retransmissions within this window get the same answer
  int transaction_cache = 1 << 20;
  std::string state;                 // snapshot loaded at start and saved on shutdown ("" = none)
  double snapshot_interval_s = 300;  // periodic snapshot (0 = only on shutdown)
  std::string spool;                 // directory watched for CDR files ("" = none)
  double spool_poll_s = 1;
  int64_t max_cdr_body_bytes = 64 << 20;  // POST /v1/cdr body limit
  bool trust_proxy_headers = true;  // read X-Callguard-Ingress/-Trunk/-Origin-IP/-Origin-Country
  Ingress default_ingress = Ingress::kUnknown;
  std::vector<IngressRule> ingress_rules;  // first match wins
  SipAnswerConfig answers;
};

// STIR/SHAKEN verification in `serve` (and the defaults of `callguard shaken verify`).
struct ShakenConfig {
  bool verify = true;                      // verify Identity headers of screened INVITEs
  std::vector<std::string> trust_anchors;  // STI-CA certificate files (PEM), resolved paths
  std::vector<std::string> crl_files;      // revocation lists (PEM), resolved paths; optional
  int64_t freshness_s = 60;
  bool require_identity = false;  // no usable Identity -> fail 428 (evidence, not an answer)
  bool reject_anonymous = false;  // anonymous caller -> fail 433
  double fetch_timeout_s = 2;
  int64_t max_cert_bytes = 64 * 1024;
  std::string tls_ca_file;         // CA bundle for HTTPS certificate servers ("" = system)
  bool allow_private_x5u = false;  // tests only
  int64_t cert_ttl_s = 3600, cert_max_ttl_s = 86400, cert_negative_ttl_s = 60;
  // SIP codes per failure kind (peers differ).
  int code_bad_identity_info = 436, code_unsupported_credential = 437, code_invalid_identity = 438,
      code_tn_mismatch = 438, code_bad_iat = 438, code_stale_date = 403, code_use_identity = 428,
      code_anonymity_disallowed = 433;
};

void ParseServeConfig(ConfigNode node, ServeConfig* out);
void ParseShakenConfig(ConfigNode node, const std::string& base_dir, ShakenConfig* out);

// Parses "a.b.c.d/len" or "v6::/len" (a bare address is a host route).
bool ParseCidr(std::string_view s, IpAddress* net, int* prefix_len);

}  // namespace callguard
