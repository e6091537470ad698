#include "api/auth.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/time.h"

namespace callguard {

namespace {
constexpr std::string_view kRoleNames[] = {"admin", "analyst", "screening", "partner"};

double NowS() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

bool ParseRole(std::string_view s, Role* out) {
  for (size_t i = 0; i < 4; ++i)
    if (s == kRoleNames[i]) {
      *out = static_cast<Role>(i);
      return true;
    }
  return false;
}

std::string_view RoleName(Role r) { return kRoleNames[static_cast<int>(r)]; }

Result<NewToken> CreateToken(store::Store* store, Role role, const std::string& name,
                             std::optional<int64_t> expires_ms) {
  NewToken t;
  t.secret = store::RandomId("cg_", 32);
  t.record.id = store::RandomId("tok_", 9);
  t.record.role = std::string(RoleName(role));
  t.record.name = name;
  t.record.created_ms = WallClockMs();
  t.record.expires_ms = expires_ms;
  CG_RETURN_IF_ERROR(store->AddToken(t.record, store::Sha256Hex(t.secret)));
  return t;
}

TokenAuth::Outcome TokenAuth::Check(std::string_view auth, Principal* out) {
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.empty()) return Outcome::kMissing;
  if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer ||
      auth.size() > 200)
    return Outcome::kInvalid;
  std::string_view secret = auth.substr(kBearer.size());
  if (secret.substr(0, 3) != "cg_") return Outcome::kInvalid;
  std::string hash = store::Sha256Hex(secret);
  auto now = std::chrono::steady_clock::now();
  Entry e;
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() &&
        std::chrono::duration<double>(now - it->second.fetched).count() < cache_s_) {
      e = it->second;
      cached = true;
    }
  }
  if (!cached) {
    auto r = store_->FindToken(hash);
    if (!r.ok()) return Outcome::kUnavailable;
    e.fetched = now;
    if (r->has_value() && !(*r)->revoked_ms) {
      Role role;
      if (ParseRole((*r)->role, &role)) {
        e.valid = true;
        e.p.token_id = (*r)->id;
        e.p.role = role;
        e.expires_ms = (*r)->expires_ms;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.size() > 100000) cache_.clear();  // bounded: guessing tokens cannot grow it
    cache_[hash] = e;
  }
  if (!e.valid) return Outcome::kInvalid;
  if (e.expires_ms && *e.expires_ms <= WallClockMs()) return Outcome::kInvalid;
  *out = e.p;
  return Outcome::kOk;
}

std::string RateLimiter::SourceKey(const std::string& address) {
  in6_addr a;
  if (address.find(':') == std::string::npos || inet_pton(AF_INET6, address.c_str(), &a) != 1)
    return address;
  if (IN6_IS_ADDR_V4MAPPED(&a)) return address;
  std::memset(a.s6_addr + 8, 0, 8);
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, buf, sizeof buf);
  return std::string(buf) + "/64";
}

bool RateLimiter::Allow(const std::string& address) {
  double now = NowS();
  std::string key = SourceKey(address);
  std::lock_guard<std::mutex> lock(mu_);
  // Forget sources whose bucket has refilled: every minute, or (at most once a second) when the
  // table is full.
  if (now - last_sweep_s_ > 60 || (buckets_.size() >= max_sources_ && now - last_sweep_s_ > 1)) {
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = it->second.tokens + (now - it->second.last_s) * rate_s_ >= burst_ ? buckets_.erase(it)
                                                                             : std::next(it);
    last_sweep_s_ = now;
  }
  if (buckets_.size() >= max_sources_ && buckets_.find(key) == buckets_.end()) return false;
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst_, b.tokens + (now - b.last_s) * rate_s_);
    b.last_s = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace callguard
