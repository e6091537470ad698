#include "shaken/cert_cache.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>
#include <time.h>

#include <cstring>

namespace callguard::shaken {

namespace {

int64_t NowS() { return static_cast<int64_t>(time(nullptr)); }

// Addresses a certificate fetch must never reach (SSRF guard).
bool Forbidden(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
    uint8_t b0 = a >> 24, b1 = (a >> 16) & 0xff;
    return b0 == 0 || b0 == 10 || b0 == 127 || (b0 == 169 && b1 == 254) ||
           (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168) ||
           (b0 == 100 && (b1 & 0xc0) == 64) || b0 >= 224;
  }
  if (sa->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_LINKLOCAL(&a) ||
        IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_SITELOCAL(&a))
      return true;
    if ((a.s6_addr[0] & 0xfe) == 0xfc) return true;  // unique local fc00::/7
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, a.s6_addr + 12, 4);
      return Forbidden(reinterpret_cast<const sockaddr*>(&v4));
    }
    return false;
  }
  return true;
}

struct Url {
  bool https = true;
  std::string host;
  int port = 443;
  std::string path;
};

bool ParseUrl(const std::string& url, bool allow_http, Url* u, std::string* why) {
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (allow_http && url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    u->https = false;
    u->port = 80;
  } else {
    *why = "not an https URL";
    return false;
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u->path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    *why = "bad host";
    return false;
  }
  if (authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) {
      *why = "bad host";
      return false;
    }
    u->host = authority.substr(1, close - 1);
    if (close + 2 < authority.size() && authority[close + 1] == ':')
      u->port = std::atoi(authority.c_str() + close + 2);
  } else {
    size_t colon = authority.rfind(':');
    u->host = authority.substr(0, colon);
    if (colon != std::string::npos) u->port = std::atoi(authority.c_str() + colon + 1);
  }
  if (u->port <= 0 || u->port > 65535) {
    *why = "bad port";
    return false;
  }
  return true;
}

int64_t TtlFrom(const httplib::Response& res, const FetchPolicy& p) {
  std::string cc = res.get_header_value("Cache-Control");
  for (auto& c : cc) c = static_cast<char>(tolower(c));
  if (cc.find("no-store") != std::string::npos || cc.find("no-cache") != std::string::npos)
    return 0;
  size_t at = cc.find("max-age=");
  if (at != std::string::npos) {
    int64_t v = std::atoll(cc.c_str() + at + 8);
    return std::min(std::max<int64_t>(v, 0), p.max_ttl_s);
  }
  return p.default_ttl_s;
}

}  // namespace

CertCache::CertCache(FetchPolicy policy, bool background)
    : policy_(std::move(policy)), background_(background) {
  if (background_) worker_ = std::thread([this] { Worker(); });
}

CertCache::~CertCache() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void CertCache::Pin(const std::string& url, std::shared_ptr<const Certificate> cert) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[url] = Entry{std::move(cert), "", 0};
}

CacheStats CertCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

CertificateSource::Lookup CertCache::FromEntry(const Entry& e,
                                               std::shared_ptr<const Certificate>* cert,
                                               std::string* why) {
  if (e.cert) {
    *cert = e.cert;
    return Lookup::kFound;
  }
  *why = e.why;
  return Lookup::kMissing;
}

CertificateSource::Lookup CertCache::Get(const std::string& url,
                                         std::shared_ptr<const Certificate>* cert,
                                         std::string* why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(url);
    if (it != entries_.end() && (it->second.expires_s == 0 || it->second.expires_s > NowS())) {
      ++stats_.hits;
      return FromEntry(it->second, cert, why);
    }
    ++stats_.misses;
    if (background_) {
      if (in_flight_.insert(url).second) {
        queue_.push_back(url);
        cv_.notify_one();
      }
      return Lookup::kPending;
    }
  }
  return FetchNow(url, cert, why);
}

CertificateSource::Lookup CertCache::FetchNow(const std::string& url,
                                              std::shared_ptr<const Certificate>* cert,
                                              std::string* why) {
  Entry e;
  e.expires_s = NowS() + policy_.negative_ttl_s;
  Url u;
  std::string err;
  bool ok = ParseUrl(url, policy_.allow_http, &u, &err);
  std::string addr;
  if (ok) {
    // Resolve, refuse forbidden addresses, and connect to the address that was checked.
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(u.host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
      ok = false;
      err = "cannot resolve " + u.host;
    } else {
      for (addrinfo* a = res; a; a = a->ai_next) {
        if (!policy_.allow_private && Forbidden(a->ai_addr)) {
          ok = false;
          err = "refused: " + u.host + " resolves to a private or local address";
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.refused;
          break;
        }
      }
      if (ok) {
        char buf[INET6_ADDRSTRLEN] = {};
        const sockaddr* sa = res->ai_addr;
        if (sa->sa_family == AF_INET)
          inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
        else
          inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf,
                    sizeof buf);
        addr = buf;
      }
      freeaddrinfo(res);
    }
  }
  if (ok) {
    std::unique_ptr<httplib::ClientImpl> cli;
    if (u.https) {
      auto ssl = std::make_unique<httplib::SSLClient>(u.host, u.port);
      if (!policy_.tls_ca_file.empty()) ssl->set_ca_cert_path(policy_.tls_ca_file);
      ssl->enable_server_certificate_verification(true);
      cli = std::move(ssl);
    } else {
      cli = std::make_unique<httplib::ClientImpl>(u.host, u.port);
    }
    cli->set_hostname_addr_map({{u.host, addr}});
    time_t sec = static_cast<time_t>(policy_.timeout_s);
    time_t usec = static_cast<time_t>((policy_.timeout_s - sec) * 1e6);
    cli->set_connection_timeout(sec, usec);
    cli->set_read_timeout(sec, usec);
    cli->set_follow_location(false);
    std::string body;
    bool too_big = false;
    auto res = cli->Get(u.path.c_str(), [&](const char* data, size_t n) {
      if (body.size() + n > policy_.max_bytes) {
        too_big = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.fetches;
    }
    if (too_big) {
      ok = false;
      err = "certificate larger than " + std::to_string(policy_.max_bytes) + " bytes";
    } else if (!res) {
      ok = false;
      err = "fetch failed: " + httplib::to_string(res.error());
    } else if (res->status != 200) {
      ok = false;
      err = "fetch answered HTTP " + std::to_string(res->status);
    } else {
      auto c = Certificate::FromPem(body);
      if (!c.ok()) {
        ok = false;
        err = "fetched body is not a PEM certificate";
      } else {
        e.cert = c.value();
        int64_t ttl = TtlFrom(*res, policy_);
        e.expires_s = NowS() + (ttl > 0 ? ttl : 1);
      }
    }
  }
  if (!ok) e.why = err;
  std::lock_guard<std::mutex> lock(mu_);
  if (!ok) ++stats_.fetch_failures;
  entries_[url] = e;
  in_flight_.erase(url);
  return FromEntry(e, cert, why);
}

void CertCache::Worker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::string url = queue_.front();
    queue_.pop_front();
    lock.unlock();
    std::shared_ptr<const Certificate> cert;
    std::string why;
    FetchNow(url, &cert, &why);
    lock.lock();
  }
}

}  // namespace callguard::shaken
