#include "core/number.h"

#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/shortnumberinfo.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <functional>

namespace callguard {

namespace pn = i18n::phonenumbers;

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

NumberType FromPn(pn::PhoneNumberUtil::PhoneNumberType t) {
  using T = pn::PhoneNumberUtil;
  switch (t) {
    case T::FIXED_LINE:
      return NumberType::kFixedLine;
    case T::MOBILE:
      return NumberType::kMobile;
    case T::FIXED_LINE_OR_MOBILE:
      return NumberType::kFixedLineOrMobile;
    case T::TOLL_FREE:
      return NumberType::kTollFree;
    case T::PREMIUM_RATE:
      return NumberType::kPremiumRate;
    case T::SHARED_COST:
      return NumberType::kSharedCost;
    case T::VOIP:
      return NumberType::kVoip;
    case T::PERSONAL_NUMBER:
      return NumberType::kPersonalNumber;
    case T::PAGER:
      return NumberType::kPager;
    case T::UAN:
      return NumberType::kUan;
    case T::VOICEMAIL:
      return NumberType::kVoicemail;
    default:
      return NumberType::kUnknown;
  }
}

}  // namespace

namespace {
// The value of 8 ASCII digits, first digit most significant, in three multiplies (SWAR: pairs,
// then quads, then the two halves) instead of eight dependent multiply-adds.
uint64_t EightDigits(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  v -= 0x3030303030303030ULL;
  v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffULL;                   // 4 pairs: d0d1, d2d3, ...
  v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffULL;                 // 2 quads
  return ((v & 0xffffffffULL) * 10000 + (v >> 32)) & 0xffffffffULL;  // 8 digits
}
}  // namespace

uint64_t PackE164(std::string_view digits) {
  // Every number's key is packed on the reader's path (twice: its class prefix, then itself).
  uint64_t v = 0;
  size_t i = 0;
  if (digits.size() >= 8) {
    v = EightDigits(digits.data());
    i = 8;
  }
  for (; i < digits.size(); ++i) v = v * 10 + static_cast<uint64_t>(digits[i] - '0');
  return (static_cast<uint64_t>(digits.size()) << 50) | v;
}

uint64_t PackRaw(std::string_view raw) {
  // FNV-1a: stable across runs and builds, so snapshot keys stay valid.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : raw) h = (h ^ c) * 1099511628211ULL;
  return kRawKeyBit | (h & (kRawKeyBit - 1));
}

bool UnpackE164(uint64_t key, std::string* digits) {
  if (!IsE164Key(key)) return false;
  int len = static_cast<int>((key >> 50) & 0xF);
  uint64_t v = key & ((1ULL << 50) - 1);
  digits->assign(len, '0');
  for (int i = len - 1; i >= 0; --i) {
    (*digits)[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return true;
}

bool IsWithheldText(std::string_view raw) {
  // Fast path: numbers start with a digit or '+'.
  if (!raw.empty() && (raw[0] == '+' || (raw[0] >= '0' && raw[0] <= '9'))) return false;
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
  while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
  if (raw.empty()) return true;
  for (std::string_view w :
       {"anonymous", "private", "unknown", "restricted", "unavailable", "withheld"}) {
    if (EqualsIgnoreCase(raw, w)) return true;
  }
  return false;
}

Result<std::unique_ptr<Normaliser>> Normaliser::Create(std::string_view region) {
  auto* util = pn::PhoneNumberUtil::GetInstance();
  std::string r(region);
  int cc = util->GetCountryCodeForRegion(r);
  if (cc == 0) {
    return Status::InvalidArgument("unknown numbering region '" + r +
                                   "' (expected an ISO 3166-1 alpha-2 code such as CN)");
  }
  return std::unique_ptr<Normaliser>(new Normaliser(std::move(r), static_cast<uint16_t>(cc)));
}

Normaliser::Normaliser(std::string region, uint16_t home_cc)
    : region_(std::move(region)), home_cc_(home_cc), home_cc_text_(std::to_string(home_cc)) {
  auto* util = pn::PhoneNumberUtil::GetInstance();
  for (int cc = 1; cc < 1000; ++cc) {
    std::string r;
    util->GetRegionCodeForCountryCode(cc, &r);
    is_country_code_[cc] = r != "ZZ";
  }
}

uint16_t Normaliser::CountryCodeOf(std::string_view digits) const {
  // Country codes are prefix-free: try 1, 2 and 3 digits.
  int cc = 0;
  for (size_t n = 0; n < 3 && n < digits.size(); ++n) {
    cc = cc * 10 + (digits[n] - '0');
    if (is_country_code_[cc]) return static_cast<uint16_t>(cc);
  }
  return 0;
}

Normaliser::ClassInfo Normaliser::ClassifyUncached(std::string_view digits) {
  ++stats_.libphonenumber_parses;
  auto* util = pn::PhoneNumberUtil::GetInstance();
  pn::PhoneNumber n;
  std::string text(1, '+');
  text.append(digits);
  if (util->Parse(text, region_, &n) != pn::PhoneNumberUtil::NO_PARSING_ERROR) {
    return {NumberStatus::kInvalid, NumberType::kUnknown};
  }
  // A spelling libphonenumber rewrites (e.g. a national prefix after the country code) is not
  // canonical: its class must not vouch for the digits as they stand.
  std::string formatted;
  util->Format(n, pn::PhoneNumberUtil::E164, &formatted);
  if (formatted != text) return {NumberStatus::kInvalid, NumberType::kUnknown};
  if (util->IsValidNumber(n)) return {NumberStatus::kValid, FromPn(util->GetNumberType(n))};
  if (n.country_code() == home_cc_) {
    // Loading the short-number metadata is expensive: one instance for the process.
    static const pn::ShortNumberInfo* shorts = new pn::ShortNumberInfo();
    if (shorts->IsValidShortNumberForRegion(n, region_))
      return {NumberStatus::kShortCode, NumberType::kUnknown};
  }
  return {NumberStatus::kInvalid, NumberType::kUnknown};
}

Normaliser::ClassInfo Normaliser::Classify(std::string_view digits) {
  size_t p = std::min<size_t>(digits.size(), kClassPrefixDigits);
  uint64_t key = PackE164(digits.substr(0, p)) ^ (static_cast<uint64_t>(digits.size()) << 56);
  if (auto it = class_cache_.find(key); it != class_cache_.end()) {
    ++stats_.fast_path;
    return it->second;
  }
  ClassInfo info = ClassifyUncached(digits);
  class_cache_.emplace(key, info);
  return info;
}

void Normaliser::MergeClassCache(const Normaliser& other) {
  for (const auto& [key, info] : other.class_cache_) class_cache_.emplace(key, info);
}

void Normaliser::FillFromE164(std::string_view digits, std::string_view raw, ClassInfo info,
                              Number* out) {
  out->key = PackE164(digits);
  if (digits.data() == raw.data() + 1 && raw.size() == digits.size() + 1 && raw[0] == '+') {
    out->e164.assign(raw);  // the record already spells it in E.164: one copy
  } else {
    out->e164.assign(1, '+');
    out->e164.append(digits);
  }
  out->status = info.status;
  out->type = info.type;
  out->country_code = CountryCodeOf(digits);
  out->domestic = out->country_code == home_cc_;
  if (info.status == NumberStatus::kValid) {
    out->text = out->e164;
  } else {
    out->text.assign(raw);
  }
}

void Normaliser::Normalise(std::string_view raw, Number* out) {
  ++stats_.calls;
  if (IsWithheldText(raw)) {
    out->key = 0;
    out->text.assign(raw);
    out->e164.clear();
    out->status = NumberStatus::kWithheld;
    out->type = NumberType::kUnknown;
    out->country_code = 0;
    out->domestic = false;
    return;
  }
  // Canonical E.164. Only a valid reading is taken as it stands: libphonenumber repairs some
  // invalid spellings (a national prefix after the country code, "+86 010 ..."), so those go to
  // it below.
  if (raw.size() >= 3 && raw.size() <= 16 && raw[0] == '+' && raw[1] != '0' &&
      AllDigits(raw.substr(1))) {
    ClassInfo info = Classify(raw.substr(1));
    if (info.status == NumberStatus::kValid) {
      FillFromE164(raw.substr(1), raw, info, out);
      return;
    }
  }
  // Plain national digits: the number as dialled inside the home region, with no national or
  // international prefix. Accepted only when that reading is a valid number; libphonenumber
  // would read it the same way (it strips prefixes only from numbers that are not valid as
  // they stand). Everything else goes to libphonenumber.
  if (raw.size() <= 15 - home_cc_text_.size() && raw.size() >= 3 && raw[0] != '0' &&
      AllDigits(raw)) {
    scratch_.assign(home_cc_text_);
    scratch_.append(raw);
    ClassInfo info = Classify(scratch_);
    if (info.status == NumberStatus::kValid) {
      FillFromE164(scratch_, raw, info, out);
      return;
    }
  }
  auto it = raw_cache_.find(std::string(raw));
  if (it != raw_cache_.end()) {
    ++stats_.raw_cache_hits;
    const RawEntry& e = it->second;
    out->e164 = e.e164;
    out->status = e.status;
    out->type = e.type;
    out->country_code = e.cc;
    out->domestic = e.cc != 0 && e.cc == home_cc_;
    out->key = e.e164.empty() ? PackRaw(raw) : PackE164(std::string_view(e.e164).substr(1));
    if (e.status == NumberStatus::kValid) {
      out->text = e.e164;
    } else {
      out->text.assign(raw);
    }
    return;
  }
  NormaliseUncached(raw, out);
  if (raw_cache_.size() >= kRawCacheLimit) raw_cache_.clear();  // bounded: start afresh
  raw_cache_.emplace(std::string(raw),
                     RawEntry{out->e164, out->status, out->type, out->country_code});
}

void Normaliser::NormaliseUncached(std::string_view raw, Number* out) {
  if (IsWithheldText(raw)) {
    Normalise(raw, out);
    return;
  }
  ++stats_.libphonenumber_parses;
  auto* util = pn::PhoneNumberUtil::GetInstance();
  pn::PhoneNumber n;
  std::string e164;
  bool parsed = raw.size() <= 64 &&
                util->Parse(std::string(raw), region_, &n) == pn::PhoneNumberUtil::NO_PARSING_ERROR;
  if (parsed) {
    util->Format(n, pn::PhoneNumberUtil::E164, &e164);
    parsed = e164.size() >= 3 && e164.size() <= 16 && e164[0] == '+' &&
             AllDigits(std::string_view(e164).substr(1));
  }
  if (!parsed) {
    out->key = PackRaw(raw);
    out->text.assign(raw);
    out->e164.clear();
    out->status = NumberStatus::kUnparsable;
    out->type = NumberType::kUnknown;
    out->country_code = 0;
    out->domestic = false;
    return;
  }
  ClassInfo info;
  if (util->IsValidNumber(n)) {
    info = {NumberStatus::kValid, FromPn(util->GetNumberType(n))};
  } else {
    info = ClassifyUncached(std::string_view(e164).substr(1));
  }
  out->key = PackE164(std::string_view(e164).substr(1));
  out->e164 = e164;
  out->status = info.status;
  out->type = info.type;
  out->country_code = static_cast<uint16_t>(n.country_code());
  out->domestic = out->country_code == home_cc_;
  out->text = info.status == NumberStatus::kValid ? e164 : std::string(raw);
}

}  // namespace callguard
