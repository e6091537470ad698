#include "detectors/lists/list_set.h"

#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>

#include "core/time.h"
#include "ingest/list_file.h"

namespace callguard {

std::string ListDigits(std::string_view v, uint16_t home_cc) {
  if (v.empty()) return "";
  bool plus = v[0] == '+';
  if (plus) v.remove_prefix(1);
  if (v.empty() || v.size() > 15) return "";
  for (char c : v)
    if (c < '0' || c > '9') return "";
  if (plus) return std::string(v);
  if (v[0] == '0') v.remove_prefix(1);
  std::string out = std::to_string(home_cc);
  out.append(v);
  return out.size() > 15 ? "" : out;
}

ListSet::IpKey ListSet::Mask(const IpAddress& ip, int bits) {
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | ip.bytes[i];
  for (int i = 8; i < 16; ++i) lo = (lo << 8) | ip.bytes[i];
  if (bits <= 0) return {0, 0};
  if (bits < 64) return {hi & (~0ULL << (64 - bits)), 0};
  if (bits == 64) return {hi, 0};
  if (bits < 128) return {hi, lo & (~0ULL << (128 - bits))};
  return {hi, lo};
}

Status ListSet::AddEntry(std::string_view type, std::string_view value, ListEntry e,
                         Normaliser* norm) {
  if (type == "number") {
    Number n;
    norm->Normalise(value, &n);
    if (n.key == 0 || n.e164.empty())
      return Status::InvalidArgument("'" + std::string(value) + "' is not a telephone number");
    numbers_[n.key] = std::move(e);
  } else if (type == "prefix") {
    std::string d = ListDigits(value, norm->home_country_code());
    if (d.empty())
      return Status::InvalidArgument("prefix '" + std::string(value) +
                                     "' must be digits, optionally after '+'");
    prefixes_.Insert(d, std::move(e));
  } else if (type == "trunk") {
    if (value.empty()) return Status::InvalidArgument("empty trunk");
    trunks_[std::string(value)] = std::move(e);
  } else if (type == "country") {
    if (value.size() != 2 || !std::isalpha(static_cast<unsigned char>(value[0])) ||
        !std::isalpha(static_cast<unsigned char>(value[1])))
      return Status::InvalidArgument("country '" + std::string(value) +
                                     "' is not an ISO 3166-1 alpha-2 code");
    std::string cc{static_cast<char>(std::toupper(value[0])),
                   static_cast<char>(std::toupper(value[1]))};
    countries_[cc] = std::move(e);
  } else if (type == "cidr") {
    auto slash = value.find('/');
    std::string_view addr = value.substr(0, slash);
    IpAddress ip;
    if (!ParseIp(addr, &ip))
      return Status::InvalidArgument("'" + std::string(value) + "' is not an address/prefix");
    int bits = ip.is_v4() ? 32 : 128;
    if (slash != std::string_view::npos) {
      std::string_view b = value.substr(slash + 1);
      int v = -1;
      auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), v);
      if (ec != std::errc() || p != b.data() + b.size() || v < 0 || v > bits)
        return Status::InvalidArgument("bad prefix length in '" + std::string(value) + "'");
      bits = v;
    }
    int len = ip.is_v4() ? 96 + bits : bits;
    cidrs_[len][Mask(ip, len)] = std::move(e);
    if (std::find(cidr_lengths_.begin(), cidr_lengths_.end(), len) == cidr_lengths_.end()) {
      cidr_lengths_.push_back(len);
      std::sort(cidr_lengths_.rbegin(), cidr_lengths_.rend());
    }
  } else {
    return Status::InvalidArgument("unknown entry type '" + std::string(type) +
                                   "' (number, prefix, trunk, country or cidr)");
  }
  ++size_;
  return Status::Ok();
}

Status ListSet::LoadFile(const std::string& path, Normaliser* norm) {
  return ForEachListRecord(
      path, 1, [&](const std::vector<std::string_view>& f, const std::string& where) -> Status {
        if (f[0] == "type") return Status::Ok();  // header row
        if (f.size() < 3 || f.size() > 5)
          return Status::InvalidArgument(where + ": expected type,value,list[,expires[,note]]");
        ListEntry e;
        if (f[2] == "block") {
          e.kind = ListKind::kBlock;
        } else if (f[2] == "allow") {
          e.kind = ListKind::kAllow;
        } else {
          return Status::InvalidArgument(where + ": list must be block or allow, not '" +
                                         std::string(f[2]) + "'");
        }
        if (f.size() >= 4 && !f[3].empty()) {
          std::string exp(f[3]);
          if (exp.size() == 10) exp += "T00:00:00Z";
          if (!ParseTimestamp(exp, 0, &e.expires_ms))
            return Status::InvalidArgument(where + ": expires '" + std::string(f[3]) +
                                           "' is not an RFC 3339 time");
        }
        if (f.size() >= 5) e.note.assign(f[4]);
        e.source = where;
        Status s = AddEntry(f[0], f[1], std::move(e), norm);
        if (!s.ok()) return Status::InvalidArgument(where + ": " + std::string(s.message()));
        return Status::Ok();
      });
}

const ListEntry* ListSet::MatchNumber(const Number& n) const {
  if (n.key == 0 || numbers_.empty()) return nullptr;
  auto it = numbers_.find(n.key);
  return it == numbers_.end() ? nullptr : &it->second;
}

const ListEntry* ListSet::MatchPrefix(const Number& n) const {
  if (prefixes_.empty() || n.e164.empty()) return nullptr;
  return prefixes_.LongestMatch(n.digits());
}

const ListEntry* ListSet::MatchTrunk(std::string_view trunk) const {
  if (trunk.empty() || trunks_.empty()) return nullptr;
  auto it = trunks_.find(std::string(trunk));
  return it == trunks_.end() ? nullptr : &it->second;
}

const ListEntry* ListSet::MatchCountry(std::string_view cc) const {
  if (cc.empty() || countries_.empty()) return nullptr;
  auto it = countries_.find(std::string(cc));
  return it == countries_.end() ? nullptr : &it->second;
}

const ListEntry* ListSet::MatchIp(const IpAddress& ip) const {
  if (!ip.present) return nullptr;
  for (int len : cidr_lengths_) {
    const auto& m = cidrs_[len];
    auto it = m.find(Mask(ip, len));
    if (it != m.end()) return &it->second;
  }
  return nullptr;
}

const PartnerEntry* PartnerReputation::Match(const Number& caller, int64_t now_ms) const {
  if (caller.key == 0) return nullptr;
  const PartnerEntry* best = nullptr;
  if (auto it = numbers.find(caller.key); it != numbers.end() && now_ms < it->second.expires_ms)
    best = &it->second;
  if (!pseudonyms.empty() && !hmac_key.empty() && !caller.e164.empty()) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()),
         reinterpret_cast<const unsigned char*>(caller.e164.data()), caller.e164.size(), mac, &len);
    static const char* hex = "0123456789abcdef";
    std::string h;
    h.reserve(2 * len);
    for (unsigned i = 0; i < len; ++i) {
      h.push_back(hex[mac[i] >> 4]);
      h.push_back(hex[mac[i] & 15]);
    }
    if (auto it = pseudonyms.find(h); it != pseudonyms.end() && now_ms < it->second.expires_ms &&
                                      (!best || it->second.strength > best->strength))
      best = &it->second;
  }
  return best;
}

}  // namespace callguard
