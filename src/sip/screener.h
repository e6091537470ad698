// Screener: the stateless SIP redirect server's logic (RFC 3261 §8.2, §16 of the issue): it takes
// one received message and produces the bytes of its answer, or nothing.
//
// INVITE: the call is built from the request (caller from P-Asserted-Identity, else From; callee
// from the Request-URI; the route from trusted proxy headers or the source-address rules),
// assessed by the engine, and answered 302 (proceed, Contact = the original Request-URI, with
// the label for the proxy to apply) or with the configured block response (603/607/608).
// Retransmissions get the cached answer without being scored again. OPTIONS 200, ACK nothing,
// CANCEL 200 (or 481 for an unknown transaction), other methods 405. Malformed requests get 400
// (505 for another SIP version, 513 when too large) when enough of them was read to answer.
// Every outcome is counted in Metrics. Owned and driven by the screening thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/metrics.h"
#include "callguard/call.h"
#include "core/config.h"
#include "core/number.h"
#include "engine/engine.h"
#include "shaken/verifier.h"
#include "sip/message.h"
#include "sip/transaction_cache.h"

namespace callguard::sip {

// Where a message came from.
struct Peer {
  IpAddress ip;
  char ip_text[46] = {};
  uint16_t port = 0;
  bool tcp = false;
};

class Screener {
 public:
  Screener(Engine* engine, const Config& cfg, Metrics* metrics, std::unique_ptr<Normaliser> n);

  // Handles one message received at `rx_ns` (CLOCK_REALTIME). Sets *out to the answer (empty:
  // send nothing). `datagram` selects UDP rules (body = rest of the datagram).
  void Handle(const char* data, size_t size, const Peer& peer, bool datagram, int64_t rx_ns,
              std::string* out);

  // Turns on STIR/SHAKEN verification of each INVITE's Identity headers; the outcome becomes
  // evidence (the shaken detector) and X-Callguard-Verstat on the answer. Both must outlive
  // the screener; `certs` must be thread-safe (a background-fetching cache).
  void EnableShaken(const shaken::TrustStore* trust, shaken::CertificateSource* certs,
                    const shaken::VerifyPolicy& policy);
  // Fills the route of a call (ingress, trunk, country) from the source-address rules.
  void ApplyIngressRules(const IpAddress& source, Call* call) const;
  Normaliser& normaliser() { return *normaliser_; }
  // Called with every screened call's decision (not retransmissions), on the screening thread.
  void SetVerdictHook(std::function<void(const Call&, const Decision&, const Evidence&)> hook) {
    on_verdict_ = std::move(hook);
  }
  const TransactionCache& transactions() const { return transactions_; }

 private:
  void HandleInvite(const Message& m, const Peer& peer, int64_t rx_ns, std::string* out);
  // Writes the answer to an INVITE from its decision (also for retransmissions).
  void WriteAnswer(const Message& m, const Peer& peer, const CachedAnswer& a,
                   std::string* out) const;
  void BuildCall(const Message& m, const Peer& peer, int64_t now_ms, Call* call);
  // The answer's first lines: status line, Via (with received/rport), From, To (with a tag),
  // Call-ID, CSeq. Headers and the final CRLF are appended by the caller.
  void StartResponse(const Message& m, const Peer& peer, int code, std::string_view reason,
                     std::string* out) const;
  void FinishResponse(std::string* out) const;
  uint64_t TransactionKey(const Message& m) const;

  Engine* engine_;
  const Config& cfg_;
  const ServeConfig& serve_;
  Metrics* metrics_;
  std::unique_ptr<Normaliser> normaliser_;
  TransactionCache transactions_;
  const shaken::TrustStore* trust_ = nullptr;
  shaken::CertificateSource* certs_ = nullptr;
  shaken::VerifyPolicy shaken_policy_;
  shaken::VerifyRequest shaken_req_;
  std::function<void(const Call&, const Decision&, const Evidence&)> on_verdict_;
  Call call_;  // reused: no allocation per INVITE in steady state
  std::string scratch_;
};

}  // namespace callguard::sip
