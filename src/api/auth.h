// Access control for the HTTP API: bearer tokens with roles, and per-address rate limits for
// the public endpoints.
//
// A token is "cg_" + 32 random bytes (base64url); only its SHA-256 is stored (store::Store), with
// an id ("tok_...") that appears in the audit log and is used to revoke it. Roles:
//   admin      everything
//   analyst    numbers, reports, feedback, appeals, lists, overview
//   screening  POST /v1/screen and /v1/cdr (the SIP proxy and the CDR feed)
//   partner    read-only indicators (GET /v1/indicators): no personal data
// TokenAuth caches lookups for api.token_cache_s, so a revoked token stops working within that
// time and a busy API does not query the store per request. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.h"

namespace callguard {

enum class Role : uint8_t { kAdmin, kAnalyst, kScreening, kPartner };
bool ParseRole(std::string_view s, Role* out);
std::string_view RoleName(Role r);

struct Principal {
  std::string token_id;  // "" for an anonymous caller of a public endpoint
  Role role = Role::kPartner;
};

// A new token: the secret (shown once) and its record. Stores its hash.
struct NewToken {
  std::string secret;
  store::TokenRecord record;
};
Result<NewToken> CreateToken(store::Store* store, Role role, const std::string& name,
                             std::optional<int64_t> expires_ms);

class TokenAuth {
 public:
  TokenAuth(store::Store* store, double cache_s) : store_(store), cache_s_(cache_s) {}
  enum class Outcome { kOk, kMissing, kInvalid, kUnavailable };
  // Checks an Authorization header value ("Bearer cg_...").
  Outcome Check(std::string_view authorization, Principal* out);

 private:
  struct Entry {
    bool valid = false;
    Principal p;
    std::optional<int64_t> expires_ms;
    std::chrono::steady_clock::time_point fetched;
  };
  store::Store* store_;
  double cache_s_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // by token hash
};

// Token buckets per source: `per_minute` sustained, `burst` at once. IPv6 sources are grouped
// by /64 (one host usually owns a whole /64, so per-address buckets would not limit it). At most
// `max_sources` buckets exist at once; beyond that, new sources are refused until old buckets
// have refilled and been forgotten (a flood from many addresses cannot exhaust memory).
class RateLimiter {
 public:
  RateLimiter(double per_minute, double burst, size_t max_sources = 100000)
      : rate_s_(per_minute / 60.0), burst_(burst), max_sources_(max_sources) {}
  // True when a request from `address` may proceed (and takes a token).
  bool Allow(const std::string& address);
  // The bucket key of an address: itself for IPv4, its /64 for IPv6.
  static std::string SourceKey(const std::string& address);

 private:
  struct Bucket {
    double tokens;
    double last_s;
  };
  double rate_s_, burst_;
  size_t max_sources_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  double last_sweep_s_ = 0;
};

}  // namespace callguard
