// CertCache: STI certificates by x5u URL, fetched over HTTPS and cached with HTTP cache
// semantics (Cache-Control max-age / no-store, bounded by max_ttl; failures cached for
// negative_ttl), pinned entries never expire.
//
// Fetching is guarded: https only (http only when the policy allows it, for tests), a connect
// and read timeout, a body size cap, no redirects, and an address guard: the host is resolved
// first and refused when any address is loopback, private, link-local, multicast or
// unspecified (unless allow_private, for tests on loopback); the connection then goes to the
// address that was checked, so DNS cannot rebind it. In background mode (the screening path) a
// miss answers kPending at once and one worker thread fetches; in blocking mode (the command
// line) Get() fetches before answering. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "shaken/verifier.h"

namespace callguard::shaken {

struct FetchPolicy {
  double timeout_s = 2;          // connect and read, each
  size_t max_bytes = 64 * 1024;  // a larger body is refused
  bool allow_private = false;    // tests: allow loopback/private addresses
  bool allow_http = false;       // tests: allow http:// URLs
  std::string tls_ca_file;       // CA bundle for the HTTPS servers ("" = system default)
  int64_t default_ttl_s = 3600;  // when the response says nothing
  int64_t max_ttl_s = 86400;
  int64_t negative_ttl_s = 60;  // how long a failure is remembered
};

struct CacheStats {
  uint64_t hits = 0, misses = 0, fetches = 0, fetch_failures = 0, refused = 0;
};

class CertCache : public CertificateSource {
 public:
  CertCache(FetchPolicy policy, bool background);
  ~CertCache() override;
  void Pin(const std::string& url, std::shared_ptr<const Certificate> cert);
  Lookup Get(const std::string& url, std::shared_ptr<const Certificate>* cert,
             std::string* why) override;
  CacheStats stats() const;
  // Fetches `url` now (the worker's job; public for tests). Stores and returns the outcome.
  Lookup FetchNow(const std::string& url, std::shared_ptr<const Certificate>* cert,
                  std::string* why);

 private:
  struct Entry {
    std::shared_ptr<const Certificate> cert;  // null: a cached failure
    std::string why;
    int64_t expires_s = 0;  // 0 = never (pinned)
  };
  void Worker();
  Lookup FromEntry(const Entry& e, std::shared_ptr<const Certificate>* cert, std::string* why);

  FetchPolicy policy_;
  bool background_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::set<std::string> in_flight_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  CacheStats stats_;
  std::thread worker_;
};

}  // namespace callguard::shaken
