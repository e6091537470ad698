#include "sip/screener.h"

#include <time.h>

#include <cstdio>

#include "core/hash.h"
#include "core/time.h"
#include "engine/verdict_writer.h"

namespace callguard::sip {

namespace {

uint64_t HashBytes(std::string_view s, uint64_t h) {
  // FNV-1a folded through Mix64: good enough to key transactions, not security sensitive.
  uint64_t x = 0xcbf29ce484222325ULL ^ h;
  for (unsigned char c : s) x = (x ^ c) * 0x100000001b3ULL;
  return Mix64(x);
}

enum MethodIndex { kInvite = 0, kAck, kCancel, kOptions, kOther, kResponse };
enum AnswerIndex { kAns302Allow = 0, kAns302Label, kAnsBlock, kAns200, kAns400, kAns4xx, kAns5xx };
// How an INVITE's answer was made (CachedAnswer::kind).
enum AnswerKind : uint8_t { kScreened = 0, kFailOpen, kFailClosed, kUnsupportedScheme };

void Count(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

// The user part of a URI as a dialable string: unescaped, without tel parameters
// ("+8613800138000;npdi" -> "+8613800138000").
void UserNumber(const Uri& u, std::string* out) {
  out->clear();
  Unescape(u.user, out);
  size_t semi = out->find(';');
  if (semi != std::string::npos) out->resize(semi);
}

bool IsAnonymous(const NameAddr& na) {
  return EqualsNoCase(na.uri.user, "anonymous") || EqualsNoCase(na.uri.host, "anonymous.invalid") ||
         (na.uri.user.empty() && EqualsNoCase(na.display, "anonymous"));
}

// Appends `s` %-escaped for use inside a URI header value (RFC 3261 §25.1 hvalue).
void AppendUriEscaped(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '!' || c == '~' || c == '*' ||
                 c == '\'' || c == '(' || c == ')' || c == '[' || c == ']' || c == '/' ||
                 c == ':' || c == '$';
    if (plain) {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

std::string_view BlockReason(int code) {
  switch (code) {
    case 607:
      return "Unwanted";
    case 608:
      return "Rejected";
    default:
      return "Decline";
  }
}

}  // namespace

Screener::Screener(Engine* engine, const Config& cfg, Metrics* metrics,
                   std::unique_ptr<Normaliser> n)
    : engine_(engine),
      cfg_(cfg),
      serve_(cfg.serve),
      metrics_(metrics),
      normaliser_(std::move(n)),
      transactions_(static_cast<int64_t>(cfg.serve.transaction_ttl_s * 1000),
                    static_cast<size_t>(cfg.serve.transaction_cache)) {}

uint64_t Screener::TransactionKey(const Message& m) const {
  uint64_t h = HashBytes(m.call_id, m.cseq);
  h = HashBytes(m.via_count > 0 ? m.vias[0].branch : std::string_view(), h);
  h = HashBytes(m.from.tag, h);
  // ACK and CANCEL belong to the INVITE's transaction (RFC 3261 §17.2.3, §9.2).
  return h;
}

void Screener::StartResponse(const Message& m, const Peer& peer, int code, std::string_view reason,
                             std::string* out) const {
  out->clear();
  out->append("SIP/2.0 ");
  out->push_back(static_cast<char>('0' + code / 100 % 10));
  out->push_back(static_cast<char>('0' + code / 10 % 10));
  out->push_back(static_cast<char>('0' + code % 10));
  out->push_back(' ');
  out->append(reason);
  out->append("\r\n");
  // Via headers in order; the top one gets received= and rport= (RFC 3261 §18.2.1, RFC 3581).
  for (int i = 0; i < m.via_header_count && i < kMaxVias; ++i) {
    std::string_view v = TrimLws(m.via_headers[i]);
    out->append("Via: ");
    if (i == 0 && m.via_count > 0) {
      const Via& top = m.vias[0];
      std::string_view tv = top.value;
      size_t top_end = static_cast<size_t>(tv.data() + tv.size() - v.data());
      if (tv.data() < v.data() || top_end > v.size()) top_end = v.size();
      std::string_view head = v.substr(0, top_end);
      // rport flag without a value: fill it in where it stands.
      size_t rp = std::string_view::npos;
      if (top.has_rport && top.rport.empty()) {
        for (size_t k = 0; k + 5 <= head.size(); ++k) {
          if (EqualsNoCase(head.substr(k, 5), "rport") && k > 0) {
            size_t b = k;
            while (b > 0 && IsLwsChar(head[b - 1])) --b;
            size_t a = k + 5;
            while (a < head.size() && IsLwsChar(head[a])) ++a;
            if (b > 0 && head[b - 1] == ';' && (a >= head.size() || head[a] != '=')) {
              rp = k + 5;
              break;
            }
          }
        }
      }
      if (rp != std::string_view::npos) {
        out->append(head.substr(0, rp));
        out->append("=" + std::to_string(peer.port));
        out->append(head.substr(rp));
      } else {
        out->append(head);
      }
      if (peer.ip_text[0] != '\0' && top.host != peer.ip_text && top.received.empty()) {
        out->append(";received=");
        out->append(peer.ip_text);
      }
      out->append(v.substr(top_end));
    } else {
      out->append(v);
    }
    out->append("\r\n");
  }
  out->append("From: ");
  out->append(m.from_header);
  out->append("\r\nTo: ");
  out->append(m.to_header);
  if (m.to.tag.empty() && code >= 200 && !m.to_header.empty()) {
    // A final answer needs a To tag; derive it from the transaction so a retransmitted request
    // gets a byte-identical answer.
    static const char kHex[] = "0123456789abcdef";
    uint64_t k = TransactionKey(m);
    out->append(";tag=cg");
    for (int shift = 44; shift >= 0; shift -= 4) out->push_back(kHex[(k >> shift) & 15]);
  }
  out->append("\r\nCall-ID: ");
  out->append(m.call_id);
  out->append("\r\nCSeq: ");
  out->append(m.cseq_header);
  out->append("\r\nServer: callguard\r\n");
}

void Screener::FinishResponse(std::string* out) const { out->append("Content-Length: 0\r\n\r\n"); }

void Screener::EnableShaken(const shaken::TrustStore* trust, shaken::CertificateSource* certs,
                            const shaken::VerifyPolicy& policy) {
  trust_ = trust;
  certs_ = certs;
  shaken_policy_ = policy;
}

void Screener::ApplyIngressRules(const IpAddress& source, Call* call) const {
  for (const auto& r : serve_.ingress_rules) {
    if (!r.Matches(source)) continue;
    if (call->ingress == Ingress::kUnknown) call->ingress = r.ingress;
    if (call->trunk.empty()) call->trunk = r.trunk;
    if (call->origin_country.empty()) call->origin_country = r.country;
    return;
  }
  if (call->ingress == Ingress::kUnknown) call->ingress = serve_.default_ingress;
}

void Screener::BuildCall(const Message& m, const Peer& peer, int64_t now_ms, Call* call) {
  call->call_id.assign(m.call_id);
  call->start_ms = now_ms;
  call->answered = false;
  call->duration_s = 0;
  call->ring_s = -1;
  call->ingress = Ingress::kUnknown;
  call->trunk.clear();
  call->origin_country.clear();
  call->origin_ip = IpAddress();
  call->attestation = Attestation::kNone;
  call->imei.clear();
  call->cell.clear();
  call->origid.clear();
  call->priority = false;
  // Caller: the network-asserted identity (RFC 3325) when present, else From.
  const NameAddr* id = nullptr;
  for (int i = 0; i < m.pai_count; ++i) {
    if (m.pai[i].uri.IsTel() || (m.pai[i].uri.IsSip() && !m.pai[i].uri.user.empty())) {
      id = &m.pai[i];
      break;
    }
  }
  if (id == nullptr && !IsAnonymous(m.from)) id = &m.from;
  if (id != nullptr) {
    UserNumber(id->uri, &scratch_);
  } else {
    scratch_ = "anonymous";
  }
  normaliser_->Normalise(scratch_, &call->caller);
  // Callee: the Request-URI's user part (the To URI when the Request-URI has none).
  UserNumber(m.ruri.user.empty() ? m.to.uri : m.ruri, &scratch_);
  normaliser_->Normalise(scratch_, &call->callee);
  // Route: what a trusted proxy says, then the source-address rules.
  if (serve_.trust_proxy_headers) {
    if (!m.x_ingress.empty()) ParseIngress(m.x_ingress, &call->ingress);
    call->trunk.assign(m.x_trunk);
    if (m.x_origin_country.size() == 2) {
      call->origin_country.assign(m.x_origin_country);
      for (char& c : call->origin_country) c = static_cast<char>(toupper(c));
    }
    if (!m.x_origin_ip.empty()) ParseIp(m.x_origin_ip, &call->origin_ip);
  }
  if (!call->origin_ip.present) {
    // The first hop's address (bottom Via) when it is an address literal, else the sender.
    std::string_view host = m.via_count > 0 && m.via_count <= kMaxVias
                                ? m.vias[m.via_count - 1].host
                                : std::string_view();
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (host.empty() || !ParseIp(host, &call->origin_ip)) call->origin_ip = peer.ip;
  }
  ApplyIngressRules(peer.ip, call);
  // Emergency and priority calls (RFC 4412 Resource-Priority, RFC 3261 Priority: emergency).
  call->priority = !m.resource_priority.empty() || EqualsNoCase(m.priority, "emergency");
}

void Screener::WriteAnswer(const Message& m, const Peer& peer, const CachedAnswer& a,
                           std::string* out) const {
  const auto& cfg = serve_.answers;
  Action action = static_cast<Action>(a.action);
  switch (a.kind) {
    case kUnsupportedScheme:
      StartResponse(m, peer, 416, "Unsupported URI Scheme", out);
      FinishResponse(out);
      return;
    case kFailClosed:
      StartResponse(m, peer, 503, "Service Unavailable", out);
      out->append("Retry-After: 1\r\n");
      FinishResponse(out);
      return;
    case kFailOpen:
      StartResponse(m, peer, 302, "Moved Temporarily", out);
      out->append("Contact: <");
      out->append(m.request_uri);
      out->append(">\r\n");
      if (cfg.x_headers)
        out->append("X-Callguard-Action: allow\r\nX-Callguard-Reason: fail_open_deadline\r\n");
      FinishResponse(out);
      return;
    default:
      break;
  }
  if (action == Action::kBlock) {
    StartResponse(m, peer, a.code, BlockReason(a.code), out);
    if (cfg.reason_header) {
      out->append("Reason: SIP;cause=");
      out->append(std::to_string(a.code));
      out->append(";text=\"");
      out->append(cfg.block_text);
      out->append("\"\r\n");
    }
    if (!cfg.redress_url.empty()) {
      out->append("Call-Info: <");
      out->append(cfg.redress_url);
      out->append(">;purpose=info\r\n");
    }
  } else {
    StartResponse(m, peer, 302, "Moved Temporarily", out);
    out->append("Contact: <");
    out->append(m.request_uri);
    bool labelled = action == Action::kLabel || action == Action::kWarn;
    static constexpr std::string_view kVerstatValue[] = {
        "", "TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"};
    bool verified = a.verstat > 0 && a.verstat < 4;
    if ((labelled || verified) && cfg.verstat && m.ruri.IsSip() && m.ruri.headers.empty()) {
      // The caller's identity with a verstat parameter, as a header of the Contact URI
      // (RFC 3261 §19.1.1): a proxy that follows the redirect puts it on the new INVITE. A
      // label or warning takes the place of the STIR/SHAKEN verstat (the stronger message).
      std::string pai = "<";
      const Uri& who = m.pai_count > 0 ? m.pai[0].uri : m.from.uri;
      pai.append(who.text);
      pai.append(";");
      pai.append(cfg.verstat_param);
      pai.append("=");
      if (labelled)
        pai.append(action == Action::kWarn ? cfg.warn_value : cfg.label_value);
      else
        pai.append(kVerstatValue[a.verstat]);
      pai.append(">");
      out->append("?P-Asserted-Identity=");
      AppendUriEscaped(pai, out);
    }
    out->append(">\r\n");
  }
  static constexpr std::string_view kVerstat[] = {"", "TN-Validation-Passed",
                                                  "TN-Validation-Failed", "No-TN-Validation"};
  if (cfg.x_headers && a.verstat > 0 && a.verstat < 4) {
    out->append("X-Callguard-Verstat: ");
    out->append(kVerstat[a.verstat]);
    out->append("\r\n");
  }
  if (cfg.x_headers) {
    out->append("X-Callguard-Action: ");
    out->append(ToString(action));
    out->append("\r\nX-Callguard-Score: ");
    AppendDecimal(a.score, out);
    out->append("\r\n");
    if (a.reason != nullptr) {
      out->append("X-Callguard-Reason: ");
      out->append(a.reason_code());
      out->append("\r\n");
    }
  }
  FinishResponse(out);
}

void Screener::HandleInvite(const Message& m, const Peer& peer, int64_t rx_ns, std::string* out) {
  int64_t now_ns = WallClockNs();
  int64_t now_ms = now_ns / 1000000;
  uint64_t key = TransactionKey(m);
  if (const CachedAnswer* cached = transactions_.Find(key, now_ms)) {
    Count(metrics_->sip_retransmissions);
    WriteAnswer(m, peer, *cached, out);
    return;
  }
  CachedAnswer a;
  if (!m.ruri.IsSip() && !m.ruri.IsTel()) {
    a.kind = kUnsupportedScheme;
    a.code = 416;
    Count(metrics_->sip_answers[kAns4xx]);
  } else if (rx_ns > 0 && now_ns - rx_ns > static_cast<int64_t>(serve_.deadline_ms * 1e6)) {
    // Deadline: a request that waited too long (the engine was busy: a snapshot, a burst) is
    // let through unscreened, or refused with 503 when fail_open is off.
    if (serve_.fail_open) {
      a.kind = kFailOpen;
      a.code = 302;
      Count(metrics_->sip_fail_open);
      Count(metrics_->sip_answers[kAns302Allow]);
    } else {
      a.kind = kFailClosed;
      a.code = 503;
      Count(metrics_->sip_fail_closed);
      Count(metrics_->sip_answers[kAns5xx]);
    }
  } else {
    BuildCall(m, peer, now_ms, &call_);
    if (certs_ != nullptr) {
      shaken::RequestFromSip(m, &shaken_req_);
      shaken_req_.now = now_ms / 1000;
      shaken::VerifyResult v = shaken::Verify(shaken_req_, *trust_, *certs_, shaken_policy_);
      bool missing = v.outcome == shaken::VerifyResult::Outcome::kNone ||
                     v.sip_code == shaken_policy_.codes.use_identity ||
                     v.sip_code == shaken_policy_.codes.anonymity_disallowed;
      if (v.outcome == shaken::VerifyResult::Outcome::kPass) {
        call_.shaken = ShakenStatus::kPassed;
        call_.attestation = v.attest == 'A'   ? Attestation::kA
                            : v.attest == 'B' ? Attestation::kB
                                              : Attestation::kC;
        call_.origid = v.origid;
        a.verstat = 1;
        Count(metrics_->shaken[0]);
      } else if (missing) {
        call_.shaken = ShakenStatus::kNone;
        a.verstat = 3;
        Count(metrics_->shaken[2]);
      } else {
        call_.shaken = ShakenStatus::kFailed;
        a.verstat = 2;
        Count(metrics_->shaken[1]);
      }
    }
    const Decision& d = engine_->Assess(call_);
    const Evidence& ev = engine_->evidence();
    Count(metrics_->screened);
    Count(metrics_->actions[static_cast<int>(d.action)]);
    if (ev.emergency) Count(metrics_->emergency);
    if (on_verdict_) on_verdict_(call_, d, ev);
    a.kind = kScreened;
    a.action = static_cast<uint8_t>(d.action);
    a.score = d.score;
    a.code = d.action == Action::kBlock ? static_cast<uint16_t>(serve_.answers.block_code) : 302;
    if (ev.size() > 0) {
      a.reason = ev[0].code.data();
      a.reason_len = static_cast<uint16_t>(ev[0].code.size());
    }
    bool labelled = d.action == Action::kLabel || d.action == Action::kWarn;
    Count(metrics_->sip_answers[d.action == Action::kBlock ? kAnsBlock
                                : labelled                 ? kAns302Label
                                                           : kAns302Allow]);
  }
  transactions_.Insert(key, a, now_ms);
  WriteAnswer(m, peer, a, out);
}

void Screener::Handle(const char* data, size_t size, const Peer& peer, bool datagram, int64_t rx_ns,
                      std::string* out) {
  out->clear();
  Count(metrics_->sip_received);
  Message m;
  ParseOptions opt;
  opt.datagram = datagram;
  opt.max_size = static_cast<size_t>(serve_.max_message_bytes);
  ParseError e = Parse(data, size, opt, &m);
  if (e != ParseError::kNone) {
    Count(metrics_->sip_parse_errors[static_cast<int>(e)]);
    if (e == ParseError::kEmpty) return;  // keep-alive
    if (e == ParseError::kTooLarge) Count(metrics_->sip_oversized);
    bool answerable = m.is_request && m.method != "ACK" && m.via_header_count > 0 &&
                      !m.call_id.empty() && !m.cseq_header.empty() && !m.from_header.empty() &&
                      !m.to_header.empty();
    if (!answerable) {
      Count(metrics_->sip_unanswerable);
      return;
    }
    int code = e == ParseError::kVersion ? 505 : e == ParseError::kTooLarge ? 513 : 400;
    StartResponse(m, peer, code,
                  code == 505   ? "Version Not Supported"
                  : code == 513 ? "Message Too Large"
                                : "Bad Request",
                  out);
    // Say what was wrong (RFC 3261 §20.43: 399 = miscellaneous warning).
    out->append("Warning: 399 callguard \"");
    for (char c : m.error_where)
      if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) out->push_back(c);
    out->append(": ");
    out->append(m.error_detail);
    out->append("\"\r\n");
    FinishResponse(out);
    Count(metrics_->sip_answers[code == 400 ? kAns400 : code >= 500 ? kAns5xx : kAns4xx]);
    return;
  }
  if (!m.is_request) {
    Count(metrics_->sip_requests[kResponse]);  // a redirect server sends no requests
    return;
  }
  if (m.method == "INVITE") {
    Count(metrics_->sip_requests[kInvite]);
    HandleInvite(m, peer, rx_ns, out);
    if (rx_ns > 0) metrics_->sip_latency.Record(WallClockNs() - rx_ns);
    return;
  }
  if (m.method == "ACK") {
    Count(metrics_->sip_requests[kAck]);
    return;  // absorbs the ACK of a final answer (RFC 3261 §17.2.1)
  }
  if (m.method == "CANCEL") {
    Count(metrics_->sip_requests[kCancel]);
    // The INVITE was answered at once, so a CANCEL only gets its own 200 (RFC 3261 §9.2);
    // one for a transaction never seen gets 481.
    bool known = transactions_.Find(TransactionKey(m), WallClockNs() / 1000000) != nullptr;
    if (known) {
      StartResponse(m, peer, 200, "OK", out);
      Count(metrics_->sip_answers[kAns200]);
    } else {
      StartResponse(m, peer, 481, "Call/Transaction Does Not Exist", out);
      Count(metrics_->sip_answers[kAns4xx]);
    }
    FinishResponse(out);
    return;
  }
  if (m.method == "OPTIONS") {
    Count(metrics_->sip_requests[kOptions]);
    StartResponse(m, peer, 200, "OK", out);
    out->append("Allow: INVITE, ACK, CANCEL, OPTIONS\r\nAccept: application/sdp\r\n");
    FinishResponse(out);
    Count(metrics_->sip_answers[kAns200]);
    return;
  }
  Count(metrics_->sip_requests[kOther]);
  StartResponse(m, peer, 405, "Method Not Allowed", out);
  out->append("Allow: INVITE, ACK, CANCEL, OPTIONS\r\n");
  FinishResponse(out);
  Count(metrics_->sip_answers[kAns4xx]);
}

}  // namespace callguard::sip
