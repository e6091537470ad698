#include "investigate/stix.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "ingest/csv_splitter.h"
#include "investigate/signing.h"

namespace callguard::investigate {

namespace {

// STIX 2.1 §2.9: the namespace for deterministic SCO identifiers.
constexpr const char* kScoNamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7";
// callguard's own namespace for the other objects' identifiers.
constexpr const char* kOwnNamespace = "6f1c1a53-0c52-4b1e-9a58-5f0d5b1d2c77";
// STIX 2.1 §7.2.1.4: the TLP marking definitions.
const std::map<std::string, std::string> kTlp = {
    {"clear", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"},
    {"green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
    {"amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"},
    {"red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}};
const char* kTlpName(const std::string& t) { return t == "clear" ? "white" : t.c_str(); }

std::string Ts(int64_t ms) { return FormatRfc3339(ms); }

bool ParseUuid(const std::string& s, unsigned char out[16]) {
  int j = 0;
  for (size_t i = 0; i < s.size() && j < 32; ++i) {
    if (s[i] == '-') continue;
    int v =
        std::isdigit(static_cast<unsigned char>(s[i])) ? s[i] - '0' : std::tolower(s[i]) - 'a' + 10;
    if (v < 0 || v > 15) return false;
    if (j % 2 == 0)
      out[j / 2] = static_cast<unsigned char>(v << 4);
    else
      out[j / 2] |= static_cast<unsigned char>(v);
    ++j;
  }
  return j == 32;
}

}  // namespace

std::string UuidV5(const std::string& ns, const std::string& name) {
  unsigned char n[16];
  ParseUuid(ns, n);
  std::string data(reinterpret_cast<char*>(n), 16);
  data += name;
  unsigned char h[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
  h[6] = static_cast<unsigned char>((h[6] & 0x0f) | 0x50);
  h[8] = static_cast<unsigned char>((h[8] & 0x3f) | 0x80);
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
                h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14],
                h[15]);
  return buf;
}

Result<std::string> ExportStix(const StixExport& in, StixExportSummary* sum) {
  using J = nlohmann::ordered_json;
  std::map<std::string, std::vector<std::pair<std::string, double>>> members;  // op -> numbers
  {
    std::ifstream f(in.ops_dir + "/membership.csv");
    if (!f) return Status::IoError(in.ops_dir + "/membership.csv: cannot open");
    std::string line, error;
    CsvSplitter split;
    std::getline(f, line);
    for (uint64_t n = 2; std::getline(f, line); ++n) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!split.Split(line, &error) || split.fields().size() < 4)
        return Status::ParseError(in.ops_dir + "/membership.csv:" + std::to_string(n) +
                                  ": expected number,operation,confidence,role");
      const auto& c = split.fields();
      members[std::string(c[1])].push_back(
          {std::string(c[0]), std::strtod(std::string(c[2]).c_str(), nullptr)});
    }
  }
  const std::string producer = "identity--" + UuidV5(kOwnNamespace, "identity/" + in.identity);
  auto tlp_it = kTlp.find(in.tlp);
  if (tlp_it == kTlp.end()) return Status::InvalidArgument("tlp: " + in.tlp);
  const std::string tlp = tlp_it->second;
  const std::string ts = Ts(in.as_of_ms);
  const std::string ext =
      "extension-definition--" + UuidV5(kOwnNamespace, "callguard/phone-number/1.0");
  J objects = J::array();
  auto common = [&](J& o, const std::string& type, const std::string& id) {
    o["type"] = type;
    o["spec_version"] = "2.1";
    o["id"] = id;
    o["created"] = ts;
    o["modified"] = ts;
    o["created_by_ref"] = producer;
    o["object_marking_refs"] = J::array({tlp});
  };
  {
    J o;
    o["type"] = "identity";
    o["spec_version"] = "2.1";
    o["id"] = producer;
    o["created"] = ts;
    o["modified"] = ts;
    o["name"] = in.identity;
    o["identity_class"] = "organization";
    o["object_marking_refs"] = J::array({tlp});
    o["sectors"] = J::array({"telecommunications"});
    objects.push_back(o);
  }
  {
    J o;
    o["type"] = "marking-definition";
    o["spec_version"] = "2.1";
    o["id"] = tlp;
    o["created"] = "2017-01-20T00:00:00.000Z";
    o["definition_type"] = "tlp";
    o["name"] = std::string("TLP:") + (in.tlp == "clear"   ? "WHITE"
                                       : in.tlp == "green" ? "GREEN"
                                       : in.tlp == "amber" ? "AMBER"
                                                           : "RED");
    o["definition"] = {{"tlp", kTlpName(in.tlp)}};
    objects.push_back(o);
  }
  {
    J o;
    common(o, "extension-definition", ext);
    o["name"] = "phone-number";
    o["description"] =
        "A telephone number observable (E.164 `value`, or `hmac_sha256` of the E.164 under a key "
        "the partners share), shaped like OpenCTI's phone-number observable.";
    o["schema"] = "https://github.com/callguard/callguard/blob/main/docs/stix-phone-number.md";
    o["version"] = "1.0";
    o["extension_types"] = J::array({"new-sco"});
    objects.push_back(o);
  }
  auto rel = [&](const std::string& type, const std::string& src, const std::string& dst) {
    J o;
    common(o, "relationship",
           "relationship--" + UuidV5(kOwnNamespace, type + "|" + src + "|" + dst));
    o["relationship_type"] = type;
    o["source_ref"] = src;
    o["target_ref"] = dst;
    objects.push_back(o);
  };
  std::ifstream f(in.ops_dir + "/operations.jsonl");
  if (!f) return Status::IoError(in.ops_dir + "/operations.jsonl: cannot open");
  const int64_t valid_until = in.as_of_ms + static_cast<int64_t>(in.valid_s * 1000);
  std::string line;
  for (uint64_t n = 1; std::getline(f, line); ++n) {
    auto op = nlohmann::json::parse(line, nullptr, false);
    if (op.is_discarded() || !op.is_object() || !op.contains("id"))
      return Status::ParseError(in.ops_dir + "/operations.jsonl:" + std::to_string(n) +
                                ": not an operation record");
    int64_t first_ms = 0, last_ms = 0;
    if (!ParseTimestamp(op.value("first_seen", ""), 0, &first_ms) ||
        !ParseTimestamp(op.value("last_seen", ""), 0, &last_ms))
      continue;
    if (last_ms < in.as_of_ms - static_cast<int64_t>(in.since_s * 1000) || first_ms > in.as_of_ms)
      continue;
    const std::string id = op["id"].get<std::string>();
    const std::string key = in.identity + "/" + id;
    const std::string campaign = "campaign--" + UuidV5(kOwnNamespace, "campaign/" + key);
    const std::string iset = "intrusion-set--" + UuidV5(kOwnNamespace, "intrusion-set/" + key);
    ++sum->operations;
    {
      J o;
      common(o, "campaign", campaign);
      o["name"] = "callguard " + id;
      o["description"] = "Telephone scam operation (" + op.value("type", "unknown") +
                         "): " + std::to_string(op.value("calls", 0)) + " calls, " +
                         std::to_string(op["members"].size()) + " numbers, about " +
                         std::to_string(op.value("estimated_agents", 0)) + " agents at once.";
      o["first_seen"] = Ts(first_ms);
      o["last_seen"] = Ts(last_ms);
      o["objective"] = "defraud the people called";
      objects.push_back(o);
      J s;
      common(s, "intrusion-set", iset);
      s["name"] = "callguard " + id + " operators";
      s["first_seen"] = Ts(first_ms);
      s["last_seen"] = Ts(last_ms);
      s["resource_level"] = "organization";
      s["primary_motivation"] = "personal-gain";
      objects.push_back(s);
      rel("attributed-to", campaign, iset);
      J sight;
      common(sight, "sighting", "sighting--" + UuidV5(kOwnNamespace, "sighting/" + key));
      sight["sighting_of_ref"] = campaign;
      sight["first_seen"] = Ts(first_ms);
      sight["last_seen"] = Ts(last_ms);
      sight["count"] = std::min<int64_t>(op.value("calls", 0), 999999999);
      sight["where_sighted_refs"] = J::array({producer});
      objects.push_back(sight);
    }
    for (const char* field : {"address_blocks", "devices", "trunks", "origids"}) {
      const nlohmann::json things = op.value(field, nlohmann::json::object());
      for (const auto& [value, count] : things.items()) {
        (void)count;
        const std::string infra =
            "infrastructure--" + UuidV5(kOwnNamespace, std::string("infra/") + field + "/" + value);
        J o;
        common(o, "infrastructure", infra);
        const std::string f = field;
        o["name"] = std::string(f == "address_blocks" ? "address block "
                                : f == "devices"      ? "device "
                                : f == "trunks"       ? "trunk "
                                                      : "STIR/SHAKEN origination id ") +
                    value;
        o["infrastructure_types"] = J::array({"unknown"});
        objects.push_back(o);
        rel("uses", campaign, infra);
      }
    }
    auto it = members.find(id);
    if (it == members.end()) continue;
    std::vector<std::pair<std::string, double>> nums = it->second;
    std::sort(nums.begin(), nums.end());
    for (const auto& [number, confidence] : nums) {
      if (in.never_export.count(number)) {
        ++sum->withheld;
        continue;
      }
      J sco;
      std::string pattern;
      if (in.hmac_key.empty()) {
        sco["type"] = "phone-number";
        sco["spec_version"] = "2.1";
        sco["id"] = "phone-number--" + UuidV5(kScoNamespace, J{{"value", number}}.dump());
        sco["value"] = number;
        pattern = "[phone-number:value = '" + number + "']";
      } else {
        std::string h = HmacSha256Hex(in.hmac_key, number);
        sco["type"] = "phone-number";
        sco["spec_version"] = "2.1";
        sco["id"] = "phone-number--" + UuidV5(kScoNamespace, J{{"hmac_sha256", h}}.dump());
        sco["hmac_sha256"] = h;
        pattern = "[phone-number:hmac_sha256 = '" + h + "']";
      }
      sco["object_marking_refs"] = J::array({tlp});
      sco["extensions"] = {{ext, {{"extension_type", "new-sco"}}}};
      const std::string sco_id = sco["id"];
      objects.push_back(sco);
      J ind;
      const std::string ind_id =
          "indicator--" + UuidV5(kOwnNamespace, "indicator/" + key + "/" + sco_id);
      common(ind, "indicator", ind_id);
      ind["name"] = "number of " + id;
      ind["indicator_types"] = J::array({"malicious-activity"});
      ind["pattern"] = pattern;
      ind["pattern_type"] = "stix";
      ind["valid_from"] = Ts(first_ms);
      ind["valid_until"] = Ts(std::max(valid_until, first_ms + 1000));
      ind["confidence"] = static_cast<int>(std::round(std::clamp(confidence, 0.0, 1.0) * 100));
      objects.push_back(ind);
      rel("indicates", ind_id, campaign);
      rel("based-on", ind_id, sco_id);
      ++sum->indicators;
    }
  }
  J bundle;
  bundle["type"] = "bundle";
  std::string names;
  for (const auto& o : objects) names += o["id"].get<std::string>();
  bundle["id"] = "bundle--" + UuidV5(kOwnNamespace, "bundle/" + Sha256HexOf(names));
  bundle["objects"] = objects;
  sum->objects = objects.size();
  return bundle.dump(1) + "\n";
}

bool MatchPhoneNumberPattern(std::string_view pattern, std::string_view property,
                             std::string* value) {
  auto eat = [&](std::string_view lit) {
    if (pattern.substr(0, lit.size()) != lit) return false;
    pattern.remove_prefix(lit.size());
    return true;
  };
  auto skip_space = [&] {
    while (!pattern.empty() && std::isspace(static_cast<unsigned char>(pattern.front())))
      pattern.remove_prefix(1);
  };
  if (!eat("[phone-number:") || !eat(property)) return false;
  skip_space();
  if (!eat("=")) return false;
  skip_space();
  if (!eat("'")) return false;
  size_t end = pattern.find('\'');
  if (end == 0 || end == std::string_view::npos || end > 64 || pattern.substr(end) != "']")
    return false;
  value->assign(pattern.substr(0, end));
  return true;
}

Result<std::vector<store::PartnerIndicator>> ParseStixIndicators(const std::string& text,
                                                                 double trust, int64_t now_ms,
                                                                 Normaliser* norm,
                                                                 StixImportSummary* sum) {
  auto b = nlohmann::json::parse(text, nullptr, false);
  if (b.is_discarded() || !b.is_object() || b.value("type", "") != "bundle" ||
      !b.contains("objects") || !b["objects"].is_array())
    return Status::ParseError("not a STIX 2.1 bundle (type \"bundle\" with an objects array)");
  std::map<std::string, std::string> names;      // identity / campaign id -> name
  std::map<std::string, std::string> indicates;  // indicator id -> campaign id
  for (const auto& o : b["objects"]) {
    if (!o.is_object()) continue;
    std::string type = o.value("type", ""), id = o.value("id", "");
    if (type == "identity" || type == "campaign") names[id] = o.value("name", "");
    if (type == "relationship" && o.value("relationship_type", "") == "indicates")
      indicates[o.value("source_ref", "")] = o.value("target_ref", "");
  }
  std::vector<store::PartnerIndicator> out;
  size_t index = 0;
  for (const auto& o : b["objects"]) {
    ++index;
    if (!o.is_object() || o.value("type", "") != "indicator") continue;
    ++sum->indicators;
    std::string where = "objects[" + std::to_string(index - 1) + "] (" + o.value("id", "?") + ")";
    if (o.value("pattern_type", "") != "stix" || !o.contains("pattern") ||
        !o["pattern"].is_string()) {
      ++sum->unsupported;
      continue;
    }
    std::string pattern = o["pattern"].get<std::string>(), value;
    store::PartnerIndicator p;
    if (MatchPhoneNumberPattern(pattern, "value", &value)) {
      Number n;
      norm->Normalise(value, &n);
      if (!n.key || n.e164.empty())
        return Status::ParseError(where + ": pattern holds '" + value +
                                  "', not a telephone number");
      p.value_type = "number";
      p.value = n.e164;
    } else if (MatchPhoneNumberPattern(pattern, "hmac_sha256", &value) && value.size() == 64 &&
               value.find_first_not_of("0123456789abcdef") == std::string::npos) {
      p.value_type = "hmac";
      p.value = value;
    } else {
      ++sum->unsupported;  // other observables (IP addresses, ...): not ours to screen on
      continue;
    }
    int64_t until = now_ms + 30LL * 86400 * 1000;
    if (o.contains("valid_until") && !ParseTimestamp(o.value("valid_until", ""), 0, &until))
      return Status::ParseError(where + ": valid_until is not an RFC 3339 timestamp");
    if (until <= now_ms) {
      ++sum->expired;
      continue;
    }
    std::string creator = o.value("created_by_ref", "");
    p.partner =
        names.count(creator) ? names[creator] : (creator.empty() ? "unknown partner" : creator);
    sum->partner = p.partner;
    auto c = indicates.find(o.value("id", ""));
    p.reason =
        c != indicates.end() && names.count(c->second) ? names[c->second] : o.value("name", "");
    p.stix_id = o.value("id", "");
    p.confidence = o.contains("confidence") && o["confidence"].is_number()
                       ? std::clamp(o["confidence"].get<double>() / 100.0, 0.0, 1.0)
                       : 0.5;
    p.trust = trust;
    p.valid_until_ms = until;
    p.imported_ms = now_ms;
    out.push_back(p);
    ++sum->imported;
  }
  return out;
}

}  // namespace callguard::investigate
