#include "ingest/record_mapper.h"

#include <cctype>
#include <charconv>

#include "core/time.h"
#include "ingest/csv_splitter.h"

namespace callguard {

const std::array<std::string_view, kFieldCount> kFieldNames = {
    "call_id", "start_time", "caller", "callee",         "answered",  "duration_s",
    "ring_s",  "ingress",    "trunk",  "origin_country", "origin_ip", "attestation",
    "imei",    "cell",       "origid", "label",          "operation"};

std::string_view ToString(CdrFormat f) {
  switch (f) {
    case CdrFormat::kAuto:
      return "auto";
    case CdrFormat::kCanonical:
      return "csv";
    case CdrFormat::kJsonl:
      return "jsonl";
    case CdrFormat::kAsterisk:
      return "asterisk";
    case CdrFormat::kFreeswitch:
      return "freeswitch";
  }
  return "auto";
}

bool ParseCdrFormat(std::string_view s, CdrFormat* out) {
  for (CdrFormat f : {CdrFormat::kAuto, CdrFormat::kCanonical, CdrFormat::kJsonl,
                      CdrFormat::kAsterisk, CdrFormat::kFreeswitch}) {
    if (s == ToString(f)) {
      *out = f;
      return true;
    }
  }
  return false;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

bool ParseBool(std::string_view v, bool* out) {
  if (v == "1" || EqualsNoCase(v, "true")) {
    *out = true;
    return true;
  }
  if (v == "0" || EqualsNoCase(v, "false")) {
    *out = false;
    return true;
  }
  return false;
}

bool ParseDouble(std::string_view v, double* out) {
  if (v.empty()) return false;
  // Whole seconds, the usual spelling of durations: up to 15 digits are exact as a double.
  if (v.size() <= 15) {
    uint64_t n = 0;
    size_t i = 0;
    for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) n = n * 10 + (v[i] - '0');
    if (i == v.size()) {
      *out = static_cast<double>(n);
      return true;
    }
  }
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  return ec == std::errc() && p == v.data() + v.size();
}

// Most optional text columns are empty in most records: clearing needs no library call.
void SetText(std::string_view v, std::string* out) {
  if (v.empty()) {
    out->clear();
  } else {
    out->assign(v);
  }
}

bool IsAsciiLetter(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

std::string Quote(std::string_view v) {
  std::string s(v.substr(0, 40));
  if (v.size() > 40) s += "...";
  return "'" + s + "'";
}

}  // namespace

bool RecordMapper::CheckFields(const std::vector<std::string_view>& fields,
                               const std::vector<std::string>* names, RejectReason* why,
                               bool check_utf8) const {
  auto name = [&](size_t i) {
    if (names && i < names->size()) return (*names)[i];
    std::string n = "#";
    n += std::to_string(i + 1);
    return n;
  };
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].size() > static_cast<size_t>(cfg_.max_field_bytes)) {
      why->code = "field_too_long";
      why->message = "field " + name(i) + " is " + std::to_string(fields[i].size()) +
                     " bytes (limit " + std::to_string(cfg_.max_field_bytes) + ")";
      return false;
    }
    if (check_utf8 && !IsValidUtf8(fields[i])) {
      why->code = "bad_utf8";
      why->message = "field " + name(i) + " is not valid UTF-8";
      return false;
    }
  }
  return true;
}

bool RecordMapper::SetTime(std::string_view v, std::string_view name, Call* call,
                           RejectReason* why) {
  if (!ParseTimestamp(Trim(v), utc_offset_min_, &call->start_ms)) {
    why->code = v.empty() ? "missing_field" : "bad_time";
    why->message = std::string(name) + ": " +
                   (v.empty() ? std::string("missing") : "unparsable time " + Quote(v));
    return false;
  }
  return true;
}

bool RecordMapper::SetNonNegative(std::string_view v, std::string_view name, double* out,
                                  RejectReason* why) {
  v = Trim(v);
  if (!ParseDouble(v, out)) {
    why->code = v.empty() ? "missing_field" : "bad_value";
    why->message = std::string(name) + ": " +
                   (v.empty() ? std::string("missing") : "not a number: " + Quote(v));
    return false;
  }
  if (*out < 0) {
    why->code = "negative_duration";
    why->message = std::string(name) + ": negative value " + Quote(v);
    return false;
  }
  return true;
}

bool RecordMapper::MapCanonical(const std::array<std::string_view, kFieldCount>& f, uint64_t line,
                                Call* call, RejectReason* why) {
  call->source_line = line;
  if (f[kCallId].empty()) {
    call->call_id = "line-" + std::to_string(line);
  } else {
    call->call_id.assign(f[kCallId]);
  }
  if (!SetTime(f[kStartTime], "start_time", call, why)) return false;
  norm_->Normalise(Trim(f[kCaller]), &call->caller);
  norm_->Normalise(Trim(f[kCallee]), &call->callee);
  std::string_view ans = Trim(f[kAnswered]);
  if (!ParseBool(ans, &call->answered)) {
    why->code = ans.empty() ? "missing_field" : "bad_value";
    why->message = "answered: " + (ans.empty() ? std::string("missing")
                                               : "expected 1/0 or true/false, got " + Quote(ans));
    return false;
  }
  if (!SetNonNegative(f[kDurationS], "duration_s", &call->duration_s, why)) return false;
  call->ring_s = -1;
  if (!Trim(f[kRingS]).empty() && !SetNonNegative(f[kRingS], "ring_s", &call->ring_s, why))
    return false;
  std::string_view ing = Trim(f[kIngress]);
  if (!ParseIngress(ing, &call->ingress)) {
    why->code = "bad_value";
    why->message = "ingress: " + Quote(ing) +
                   " is not one of mobile, fixed, voip, international, interconnect";
    return false;
  }
  SetText(Trim(f[kTrunk]), &call->trunk);
  std::string_view cc = Trim(f[kOriginCountry]);
  call->origin_country.clear();
  if (!cc.empty()) {
    if (cc.size() != 2 || !IsAsciiLetter(cc[0]) || !IsAsciiLetter(cc[1])) {
      why->code = "bad_value";
      why->message = "origin_country: " + Quote(cc) + " is not an ISO 3166-1 alpha-2 code";
      return false;
    }
    const char upper[2] = {static_cast<char>(cc[0] & ~0x20), static_cast<char>(cc[1] & ~0x20)};
    call->origin_country.assign(upper, 2);
  }
  std::string_view ip = Trim(f[kOriginIp]);
  call->origin_ip = IpAddress();
  if (!ip.empty() && !ParseIp(ip, &call->origin_ip)) {
    why->code = "bad_value";
    why->message = "origin_ip: " + Quote(ip) + " is not an IPv4 or IPv6 address";
    return false;
  }
  std::string_view att = Trim(f[kAttestation]);
  if (att.empty()) {
    call->attestation = Attestation::kNone;
  } else if (att == "A" || att == "a") {
    call->attestation = Attestation::kA;
  } else if (att == "B" || att == "b") {
    call->attestation = Attestation::kB;
  } else if (att == "C" || att == "c") {
    call->attestation = Attestation::kC;
  } else {
    why->code = "bad_value";
    why->message = "attestation: " + Quote(att) + " is not A, B, C or empty";
    return false;
  }
  SetText(Trim(f[kImei]), &call->imei);
  SetText(Trim(f[kCell]), &call->cell);
  SetText(Trim(f[kOrigid]), &call->origid);
  std::string_view lab = Trim(f[kLabel]);
  if (lab.empty()) {
    call->label = Label::kUnknown;
  } else if (lab == "scam" || lab == "1") {
    call->label = Label::kScam;
  } else if (lab == "legit" || lab == "0") {
    call->label = Label::kLegit;
  } else {
    why->code = "bad_value";
    why->message = "label: " + Quote(lab) + " is not scam, legit, 1 or 0";
    return false;
  }
  SetText(Trim(f[kOperation]), &call->operation);
  return true;
}

bool RecordMapper::MapAsterisk(const std::vector<std::string_view>& fl, uint64_t line, Call* call,
                               RejectReason* why) {
  // accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
  // answer, end, duration, billsec, disposition, amaflags[, uniqueid[, userfield]]
  if (fl.size() < 16 || fl.size() > 18) {
    why->code = "field_count";
    why->message =
        "Asterisk cdr_csv records have 16 to 18 fields, this one has " + std::to_string(fl.size());
    return false;
  }
  std::array<std::string_view, kFieldCount> f{};
  f[kCallId] = fl.size() >= 17 ? fl[16] : std::string_view();
  f[kStartTime] = fl[9];
  f[kCaller] = fl[1];
  f[kCallee] = fl[2];
  f[kAnswered] = Trim(fl[14]) == "ANSWERED" ? "1" : "0";
  f[kDurationS] = fl[13];
  // trunk: the channel without its unique suffix ("SIP/gw1-0000002a" -> "SIP/gw1").
  std::string_view ch = Trim(fl[5]);
  auto dash = ch.rfind('-');
  if (dash != std::string_view::npos && dash > ch.find('/')) ch = ch.substr(0, dash);
  f[kTrunk] = ch;
  if (!MapCanonical(f, line, call, why)) return false;
  double total;
  if (!SetNonNegative(fl[12], "duration", &total, why)) return false;
  call->ring_s = total >= call->duration_s ? total - call->duration_s : -1;
  return true;
}

bool RecordMapper::MapFreeswitch(const std::vector<std::string_view>& fl, uint64_t line, Call* call,
                                 RejectReason* why) {
  // caller_id_name, caller_id_number, destination_number, context, start_stamp, answer_stamp,
  // end_stamp, duration, billsec, hangup_cause, uuid, bleg_uuid, accountcode[, read_codec,
  // write_codec]
  if (fl.size() < 13 || fl.size() > 15) {
    why->code = "field_count";
    why->message = "FreeSWITCH mod_cdr_csv records have 13 to 15 fields, this one has " +
                   std::to_string(fl.size());
    return false;
  }
  std::array<std::string_view, kFieldCount> f{};
  f[kCallId] = fl[10];
  f[kStartTime] = fl[4];
  f[kCaller] = fl[1];
  f[kCallee] = fl[2];
  f[kAnswered] = Trim(fl[5]).empty() ? "0" : "1";
  f[kDurationS] = fl[8];
  if (!MapCanonical(f, line, call, why)) return false;
  double total;
  if (!SetNonNegative(fl[7], "duration", &total, why)) return false;
  call->ring_s = total >= call->duration_s ? total - call->duration_s : -1;
  return true;
}

}  // namespace callguard
