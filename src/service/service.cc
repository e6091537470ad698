#include "service/service.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "core/time.h"
#include "detectors/behaviour/behaviour.h"
#include "engine/verdict_writer.h"
#include "investigate/signing.h"
#include "service/engine_views.h"

namespace callguard {

namespace {

constexpr int kUdpBatch = 32;
constexpr size_t kUdpBuffer = 65536;
constexpr size_t kMaxTcpOutBuffer = 4 << 20;

int64_t MonotonicS() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

void FillPeer(const sockaddr_storage& ss, bool tcp, sip::Peer* p) {
  p->tcp = tcp;
  p->ip = IpAddress();
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, p->ip_text, sizeof p->ip_text);
    p->port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, p->ip_text, sizeof p->ip_text);
    p->port = ntohs(a->sin6_port);
  } else {
    p->ip_text[0] = '\0';
    p->port = 0;
    return;
  }
  ParseIp(p->ip_text, &p->ip);
}

std::string AddrText(const sockaddr_storage& ss) {
  char host[64] = {};
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
  port = ntohs(a->sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

void AddFd(int epoll, int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
}

std::string FailOpenVerdict(const ScreenRequest& r, std::string_view code,
                            std::string_view detail) {
  std::string out = "{\"call_id\":";
  AppendJsonString(r.call_id, &out);
  out += ",\"caller\":";
  AppendJsonString(r.caller, &out);
  out += ",\"callee\":";
  AppendJsonString(r.callee, &out);
  out += ",\"score\":0,\"action\":\"allow\",\"reasons\":[{\"detector\":\"service\",\"code\":";
  AppendJsonString(code, &out);
  out += ",\"weight\":0,\"detail\":";
  AppendJsonString(detail, &out);
  out += "}]}";
  return out;
}

}  // namespace

struct Service::Conn {
  int fd = -1;
  sip::Peer peer;
  std::string in;
  std::string out;
  int64_t last_active_s = 0;
  bool want_write = false;
};

Service::Service(const Config& cfg, std::shared_ptr<const Subscribers> subs)
    : cfg_(cfg), subs_(std::move(subs)) {}

void Service::StartWarmUp() {
  auto* b = dynamic_cast<const BehaviourDetector*>(engine_->FindDetector("behaviour"));
  if (b == nullptr || b->profiles().size() == 0) return;
  auto keys = std::make_shared<std::vector<uint64_t>>();
  keys->reserve(b->profiles().size());
  b->profiles().ForEach([&](const Profile& p) { keys->push_back(p.key); });
  std::string region = cfg_.engine.region;
  warm_thread_ = std::thread([this, keys, region] {
    auto n = Normaliser::Create(region);
    if (!n.ok()) return;
    std::shared_ptr<Normaliser> warm(std::move(n.value()));
    int64_t t0 = MonotonicS();
    std::string digits;
    Number num;
    size_t done = 0;
    for (uint64_t k : *keys) {
      if (stop_) return;
      if (!UnpackE164(k, &digits)) continue;
      warm->Normalise("+" + digits, &num);
      ++done;
    }
    Post(
        [this, warm, done, t0] {
          screener_->normaliser().MergeClassCache(*warm);
          http_normaliser_->MergeClassCache(*warm);
          {
            std::lock_guard<std::mutex> lock(warm_mu_);
            warm_ = warm;
          }
          warm_generation_.fetch_add(1, std::memory_order_release);
          fprintf(stderr,
                  "callguard serve: number classes warmed from %zu known numbers (%zu "
                  "classes, %lld s)\n",
                  done, warm->class_cache_size(), static_cast<long long>(MonotonicS() - t0));
        },
        /*bounded=*/false);
  });
}

Service::~Service() {
  stop_ = true;
  refresh_cv_.notify_all();
  if (refresh_thread_.joinable()) refresh_thread_.join();
  if (trail_) trail_->Stop();
  if (investigation_) investigation_->Stop();
  if (warm_thread_.joinable()) warm_thread_.join();
  for (auto& [fd, c] : conns_) close(fd);
  for (int fd : udp_fds_) close(fd);
  for (int fd : tcp_listen_fds_) close(fd);
  for (int fd : {epoll_, event_fd_, signal_fd_, timer_fd_})
    if (fd >= 0) close(fd);
}

Result<std::unique_ptr<Service>> Service::Create(const Config& cfg,
                                                 std::shared_ptr<const Subscribers> subs) {
  std::unique_ptr<Service> s(new Service(cfg, std::move(subs)));
  auto engine = Engine::Create(s->cfg_, s->subs_);
  if (!engine.ok()) return engine.status();
  s->engine_ = std::move(engine.value());
  auto n1 = Normaliser::Create(cfg.engine.region);
  if (!n1.ok()) return n1.status();
  auto n2 = Normaliser::Create(cfg.engine.region);
  if (!n2.ok()) return n2.status();
  s->screener_ = std::make_unique<sip::Screener>(s->engine_.get(), s->cfg_, &s->metrics_,
                                                 std::move(n1.value()));
  Service* self = s.get();
  s->screener_->SetVerdictHook(
      [self](const Call& c, const Decision& d, const Evidence& ev) { self->OnVerdict(c, d, ev); });
  s->http_normaliser_ = std::move(n2.value());
  return s;
}

Status Service::Listen(const std::string& url) {
  bool udp = url.rfind("udp://", 0) == 0;
  std::string hostport = url.substr(6);
  std::string host, port;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == std::string::npos) return Status::InvalidArgument(url + ": bad address");
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':')
      port = hostport.substr(close + 2);
  } else {
    size_t colon = hostport.rfind(':');
    host = hostport.substr(0, colon);
    if (colon != std::string::npos) port = hostport.substr(colon + 1);
  }
  if (port.empty()) port = "5060";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr)
    return Status::InvalidArgument(url + ": expected a numeric address and port");
  int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return Status::IoError(url + ": socket: " + strerror(errno));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (udp) {
    int buf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    // Kernel receive timestamps: the added latency we report includes time spent queued.
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  }
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    std::string err = strerror(errno);
    close(fd);
    freeaddrinfo(res);
    return Status::IoError(url + ": bind: " + err);
  }
  freeaddrinfo(res);
  if (!udp && listen(fd, 4096) != 0) {
    close(fd);
    return Status::IoError(url + ": listen: " + strerror(errno));
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  bound_.push_back((udp ? "udp://" : "tcp://") + AddrText(ss));
  (udp ? udp_fds_ : tcp_listen_fds_).push_back(fd);
  AddFd(epoll_, fd, EPOLLIN);
  return Status::Ok();
}

std::vector<std::string> Service::sip_addresses() const { return bound_; }

Status Service::Start() {
  // Signals are taken synchronously by the loop; threads started later inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epoll_ < 0 || event_fd_ < 0 || signal_fd_ < 0 || timer_fd_ < 0)
    return Status::IoError(std::string("event set-up: ") + strerror(errno));
  itimerspec its{};
  its.it_interval.tv_sec = 1;
  its.it_value.tv_sec = 1;
  timerfd_settime(timer_fd_, 0, &its, nullptr);
  AddFd(epoll_, event_fd_, EPOLLIN);
  AddFd(epoll_, signal_fd_, EPOLLIN);
  AddFd(epoll_, timer_fd_, EPOLLIN);
  for (const auto& url : cfg_.serve.sip) CG_RETURN_IF_ERROR(Listen(url));
  CG_RETURN_IF_ERROR(StartShaken());
  const std::string& state = cfg_.serve.state;
  if (!state.empty()) {
    std::string path = cfg_.ResolvePath(state);
    struct stat st;
    if (stat(path.c_str(), &st) == 0) {
      int64_t t0 = WallClockNs();
      CG_RETURN_IF_ERROR(engine_->LoadSnapshot(path));
      double secs = (WallClockNs() - t0) / 1e9;
      uint64_t n = engine_->state_stats().profiles;
      fprintf(stderr,
              "callguard serve: state loaded from %s (%llu numbers) in %.3f s (%.0f numbers/s)\n",
              path.c_str(), static_cast<unsigned long long>(n), secs, secs > 0 ? n / secs : 0.0);
    } else {
      fprintf(stderr, "callguard serve: no state at %s yet: starting empty\n", path.c_str());
    }
  }
  last_snapshot_s_ = MonotonicS();
  metrics_.profiles.store(engine_->state_stats().profiles);
  if (store_) {
    // The store's lists before the first call; then kept fresh by a side thread (entries
    // written by another server on the same PostgreSQL, or by the CLI).
    auto entries = store_->LiveListEntries();
    if (!entries.ok()) return entries.status();
    auto norm = Normaliser::Create(cfg_.engine.region);
    if (!norm.ok()) return norm.status();
    size_t skipped = 0;
    InstallStoreLists(*engine_, BuildStoreLists(*entries, norm.value().get(), &skipped));
    if (!cfg_.investigate.share.key_file.empty()) {
      auto key = investigate::ReadShareKey(cfg_.investigate.share.key_file);
      if (!key.ok()) return key.status();
      share_key_ = *key;
    }
    auto partners = store_->LivePartnerIndicators(WallClockMs());
    if (!partners.ok()) return partners.status();
    InstallPartners(*engine_, BuildPartners(*partners, norm.value().get(), share_key_));
    fprintf(stderr, "callguard serve: store %s (schema v%d): %zu list entries\n",
            std::string(store_->backend()).c_str(), store_->schema_version(), entries->size());
    trail_->Start();
    if (investigation_) CG_RETURN_IF_ERROR(investigation_->Start());
    refresh_thread_ = std::thread([this] {
      for (;;) {
        {
          std::unique_lock<std::mutex> lock(refresh_mu_);
          refresh_cv_.wait_for(
              lock,
              std::chrono::milliseconds(static_cast<int64_t>(cfg_.store.list_refresh_s * 1000)),
              [this] { return stop_.load(); });
        }
        if (stop_) return;
        Status st = RefreshLists(false);
        if (!st.ok()) metrics_.store_errors.fetch_add(1);
      }
    });
  }
  StartWarmUp();
  ready_ = true;
  return Status::Ok();
}

Status Service::StartShaken() {
  const ShakenConfig& sc = cfg_.shaken;
  if (!sc.verify) return Status::Ok();
  if (sc.trust_anchors.empty()) {
    fprintf(stderr, "callguard serve: STIR/SHAKEN verification off: no shaken.trust_anchors\n");
    return Status::Ok();
  }
  trust_ = std::make_unique<shaken::TrustStore>();
  for (const auto& f : sc.trust_anchors) CG_RETURN_IF_ERROR(trust_->AddFile(f));
  for (const auto& f : sc.crl_files) CG_RETURN_IF_ERROR(trust_->AddCrlFile(f));
  shaken::FetchPolicy fp;
  fp.timeout_s = sc.fetch_timeout_s;
  fp.max_bytes = static_cast<size_t>(sc.max_cert_bytes);
  fp.allow_private = sc.allow_private_x5u;
  fp.tls_ca_file = sc.tls_ca_file;
  fp.default_ttl_s = sc.cert_ttl_s;
  fp.max_ttl_s = sc.cert_max_ttl_s;
  fp.negative_ttl_s = sc.cert_negative_ttl_s;
  certs_ = std::make_unique<shaken::CertCache>(fp, /*background=*/true);
  shaken_policy_.freshness_s = sc.freshness_s;
  shaken_policy_.require_identity = sc.require_identity;
  shaken_policy_.reject_anonymous = sc.reject_anonymous;
  shaken_policy_.codes.bad_identity_info = sc.code_bad_identity_info;
  shaken_policy_.codes.unsupported_credential = sc.code_unsupported_credential;
  shaken_policy_.codes.invalid_identity = sc.code_invalid_identity;
  shaken_policy_.codes.tn_mismatch = sc.code_tn_mismatch;
  shaken_policy_.codes.bad_iat = sc.code_bad_iat;
  shaken_policy_.codes.stale_date = sc.code_stale_date;
  shaken_policy_.codes.use_identity = sc.code_use_identity;
  shaken_policy_.codes.anonymity_disallowed = sc.code_anonymity_disallowed;
  screener_->EnableShaken(trust_.get(), certs_.get(), shaken_policy_);
  return Status::Ok();
}

void Service::Stop() {
  stop_ = true;
  uint64_t one = 1;
  if (event_fd_ >= 0) (void)!write(event_fd_, &one, sizeof one);
}

bool Service::Post(std::function<void()> task, bool bounded) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return false;
    if (bounded) {
      if (bounded_tasks_ >= static_cast<size_t>(cfg_.serve.queue)) return false;
      ++bounded_tasks_;
    }
    tasks_.push_back(std::move(task));
  }
  uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof one);
  return true;
}

std::string Service::Screen(const ScreenRequest& req) {
  int64_t t0 = WallClockNs();
  metrics_.http_screen.fetch_add(1, std::memory_order_relaxed);
  auto promise = std::make_shared<std::promise<std::string>>();
  std::future<std::string> fut = promise->get_future();
  auto r = std::make_shared<ScreenRequest>(req);
  bool queued = Post(
      [this, promise, r] {
        {
          std::lock_guard<std::mutex> lock(mu_);
          --bounded_tasks_;
        }
        Call& c = http_call_;
        c = Call();
        c.call_id = r->call_id;
        c.start_ms = r->start_ms > 0 ? r->start_ms : WallClockNs() / 1000000;
        http_normaliser_->Normalise(r->caller.empty() ? "anonymous" : r->caller, &c.caller);
        http_normaliser_->Normalise(r->callee, &c.callee);
        if (!r->ingress.empty()) ParseIngress(r->ingress, &c.ingress);
        c.trunk = r->trunk;
        c.origin_country = r->origin_country;
        if (!r->origin_ip.empty()) ParseIp(r->origin_ip, &c.origin_ip);
        c.priority = r->priority;
        if (c.origin_ip.present) screener_->ApplyIngressRules(c.origin_ip, &c);
        if (certs_ && !r->identity.empty()) {
          shaken::VerifyRequest vr;
          vr.identities = {r->identity};
          vr.caller_tn = shaken::CanonicalTn(c.caller.e164.empty() ? r->caller : c.caller.e164);
          vr.called_tn = shaken::CanonicalTn(c.callee.e164.empty() ? r->callee : c.callee.e164);
          vr.now = c.start_ms / 1000;
          shaken::VerifyResult v = shaken::Verify(vr, *trust_, *certs_, shaken_policy_);
          if (v.outcome == shaken::VerifyResult::Outcome::kPass) {
            c.shaken = ShakenStatus::kPassed;
            c.attestation = v.attest == 'A'   ? Attestation::kA
                            : v.attest == 'B' ? Attestation::kB
                                              : Attestation::kC;
            c.origid = v.origid;
          } else {
            c.shaken = v.outcome == shaken::VerifyResult::Outcome::kFail &&
                               v.sip_code != shaken_policy_.codes.use_identity
                           ? ShakenStatus::kFailed
                           : ShakenStatus::kNone;
          }
        }
        const Decision& d = engine_->Assess(c);
        metrics_.screened.fetch_add(1, std::memory_order_relaxed);
        metrics_.actions[static_cast<int>(d.action)].fetch_add(1, std::memory_order_relaxed);
        if (engine_->evidence().emergency) metrics_.emergency.fetch_add(1);
        OnVerdict(c, d, engine_->evidence());
        std::string out;
        AppendVerdictJson(c, d, engine_->evidence(), cfg_.engine.shadow, &out);
        promise->set_value(std::move(out));
      },
      /*bounded=*/true);
  std::string verdict;
  if (!queued) {
    metrics_.http_screen_fail_open.fetch_add(1);
    verdict = FailOpenVerdict(req, "fail_open_overload", "screening queue full; call allowed");
  } else if (fut.wait_for(std::chrono::microseconds(static_cast<int64_t>(
                 cfg_.serve.deadline_ms * 1000))) != std::future_status::ready) {
    metrics_.http_screen_fail_open.fetch_add(1);
    verdict = FailOpenVerdict(req, "fail_open_deadline", "no answer within the deadline");
  } else {
    verdict = fut.get();
  }
  metrics_.http_latency.Record(WallClockNs() - t0);
  return verdict;
}

bool Service::SubmitObservations(std::vector<Call> calls) {
  auto batch = std::make_shared<std::vector<Call>>(std::move(calls));
  const int64_t arrived_ms = WallClockMs();
  return Post(
      [this, batch, arrived_ms] {
        for (const Call& c : *batch) {
          // The investigation grades victims with the score the call got from the calls
          // before it (the same causal assessment `score` gives a batch).
          if (investigation_) investigation_->OnCall(c, engine_->Assess(c).score, arrived_ms);
          engine_->Observe(c);
        }
        metrics_.cdr_accepted.fetch_add(batch->size(), std::memory_order_relaxed);
      },
      /*bounded=*/false);
}

void Service::OnUdp(int fd) {
  static thread_local std::vector<char> bufs(kUdpBatch * kUdpBuffer);
  mmsghdr msgs[kUdpBatch];
  iovec iov[kUdpBatch];
  sockaddr_storage addrs[kUdpBatch];
  alignas(cmsghdr) char ctrl[kUdpBatch][CMSG_SPACE(sizeof(timespec))];
  sip::Peer peer;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < kUdpBatch; ++i) {
      iov[i].iov_base = bufs.data() + i * kUdpBuffer;
      iov[i].iov_len = kUdpBuffer;
      std::memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
      msgs[i].msg_hdr.msg_control = ctrl[i];
      msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
    }
    int n = recvmmsg(fd, msgs, kUdpBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      int64_t rx_ns = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          rx_ns = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
        }
      }
      if (rx_ns == 0) rx_ns = WallClockNs();
      FillPeer(addrs[i], false, &peer);
      size_t len = msgs[i].msg_len;
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        metrics_.sip_received.fetch_add(1);
        metrics_.sip_oversized.fetch_add(1);
        continue;
      }
      screener_->Handle(static_cast<const char*>(iov[i].iov_base), len, peer, true, rx_ns, &out_);
      if (!out_.empty())
        sendto(fd, out_.data(), out_.size(), MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&addrs[i]), msgs[i].msg_hdr.msg_namelen);
    }
    if (n < kUdpBatch) return;
  }
}

void Service::OnAccept(int lfd) {
  while (true) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = accept4(lfd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (conns_.size() >= static_cast<size_t>(cfg_.serve.max_tcp_connections)) {
      metrics_.tcp_rejected.fetch_add(1);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    FillPeer(ss, true, &c->peer);
    c->last_active_s = MonotonicS();
    AddFd(epoll_, fd, EPOLLIN | EPOLLRDHUP);
    conns_[fd] = std::move(c);
    metrics_.tcp_accepted.fetch_add(1);
    metrics_.tcp_open.store(conns_.size());
  }
}

void Service::CloseConn(int fd) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  conns_.erase(fd);
  metrics_.tcp_open.store(conns_.size());
}

void Service::SendTcp(Conn& c, const std::string& bytes) {
  if (c.out.empty()) {
    ssize_t n = send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(bytes.size())) return;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return;  // closed on the next read
    c.out.append(bytes, n < 0 ? 0 : static_cast<size_t>(n), std::string::npos);
  } else {
    c.out.append(bytes);
  }
  if (!c.want_write) {
    c.want_write = true;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
    ev.data.fd = c.fd;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }
}

void Service::OnTcpWritable(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  while (!c.out.empty()) {
    ssize_t n = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      CloseConn(fd);
      return;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  c.want_write = false;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = fd;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
}

void Service::OnTcpReadable(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  char buf[16384];
  bool closed = false;
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.size() > static_cast<size_t>(cfg_.serve.max_message_bytes) * 4) break;
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed = true;
    break;
  }
  c.last_active_s = MonotonicS();
  int64_t rx_ns = WallClockNs();
  size_t off = 0;
  size_t max = static_cast<size_t>(cfg_.serve.max_message_bytes);
  while (off < c.in.size()) {
    int64_t len = sip::FrameLength(c.in.data() + off, c.in.size() - off, max);
    if (len == 0) break;
    if (len < 0) {
      // No Content-Length, a header section or message over the limit: the stream cannot be
      // resynchronised, so the connection is closed (counted).
      metrics_.tcp_framing_errors.fetch_add(1);
      metrics_.sip_received.fetch_add(1);
      if (c.in.size() - off > max) metrics_.sip_oversized.fetch_add(1);
      CloseConn(fd);
      return;
    }
    screener_->Handle(c.in.data() + off, static_cast<size_t>(len), c.peer, false, rx_ns, &out_);
    if (!out_.empty()) SendTcp(c, out_);
    off += static_cast<size_t>(len);
  }
  c.in.erase(0, off);
  if (closed || c.out.size() > kMaxTcpOutBuffer) CloseConn(fd);
}

void Service::OnTick() {
  uint64_t expirations;
  (void)!read(timer_fd_, &expirations, sizeof expirations);
  int64_t now = MonotonicS();
  std::vector<int> idle;
  for (auto& [fd, c] : conns_)
    if (now - c->last_active_s > static_cast<int64_t>(cfg_.serve.tcp_idle_timeout_s))
      idle.push_back(fd);
  for (int fd : idle) {
    metrics_.tcp_closed_idle.fetch_add(1);
    CloseConn(fd);
  }
  if (cfg_.serve.snapshot_interval_s > 0 &&
      now - last_snapshot_s_ >= static_cast<int64_t>(cfg_.serve.snapshot_interval_s)) {
    SaveState("periodic");
  }
  metrics_.profiles.store(engine_->state_stats().profiles);
}

void Service::SaveState(const char* why) {
  last_snapshot_s_ = MonotonicS();
  if (cfg_.serve.state.empty()) return;
  Status s = engine_->SaveSnapshot(cfg_.ResolvePath(cfg_.serve.state));
  if (s.ok()) {
    metrics_.snapshots.fetch_add(1);
  } else {
    metrics_.snapshot_errors.fetch_add(1);
    fprintf(stderr, "callguard serve: %s snapshot failed: %s\n", why, s.ToString().c_str());
  }
}

void Service::DrainTasks() {
  uint64_t v;
  (void)!read(event_fd_, &v, sizeof v);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(tasks_);
  }
  for (auto& t : batch) t();
}

void Service::OnSignal() {
  signalfd_siginfo si;
  while (read(signal_fd_, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGHUP) {
      Status s = engine_->Reload();
      if (s.ok()) {
        metrics_.reloads.fetch_add(1);
        fprintf(stderr, "callguard serve: lists and rules reloaded\n");
      } else {
        metrics_.reload_errors.fetch_add(1);
        fprintf(stderr, "callguard serve: reload failed, previous lists kept: %s\n",
                s.ToString().c_str());
      }
    } else {
      stop_ = true;
    }
  }
}

Status Service::Run() {
  epoll_event events[256];
  while (!stop_) {
    int n = epoll_wait(epoll_, events, 256, 1000);
    if (n < 0 && errno != EINTR) return Status::IoError(std::string("epoll: ") + strerror(errno));
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      uint32_t ev = events[i].events;
      if (fd == event_fd_) {
        DrainTasks();
      } else if (fd == signal_fd_) {
        OnSignal();
      } else if (fd == timer_fd_) {
        OnTick();
      } else if (std::find(udp_fds_.begin(), udp_fds_.end(), fd) != udp_fds_.end()) {
        OnUdp(fd);
      } else if (std::find(tcp_listen_fds_.begin(), tcp_listen_fds_.end(), fd) !=
                 tcp_listen_fds_.end()) {
        OnAccept(fd);
      } else {
        if (ev & EPOLLOUT) OnTcpWritable(fd);
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) OnTcpReadable(fd);
      }
    }
  }
  ready_ = false;
  // Learn what was already accepted, then keep it.
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  std::deque<std::function<void()>> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rest.swap(tasks_);
  }
  for (auto& t : rest) t();
  SaveState("shutdown");
  refresh_cv_.notify_all();
  if (refresh_thread_.joinable()) refresh_thread_.join();
  if (trail_) trail_->Stop();  // writes what is queued
  return Status::Ok();
}

void Service::AttachStore(store::Store* store) {
  store_ = store;
  trail_ = std::make_unique<VerdictTrail>(store, cfg_.store, cfg_.engine.shadow, &metrics_);
  if (cfg_.investigate.live)
    investigation_ = std::make_unique<LiveInvestigation>(cfg_, subs_, store, &metrics_);
}

void Service::OnVerdict(const Call& call, const Decision& d, const Evidence& ev) {
  activity_.Record(WallClockMs(), d.action, ev);
  if (investigation_ && !call.origid.empty())
    investigation_->NoteOrigid(call.call_id, call.origid, call.start_ms);
  if (trail_) trail_->Offer(call, d, ev);
}

bool Service::RunOnEngine(std::function<void(Engine&)> fn, int timeout_ms) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> fut = done->get_future();
  bool queued = Post(
      [this, done, fn = std::move(fn)] {
        fn(*engine_);
        done->set_value();
      },
      /*bounded=*/false);
  if (!queued) return false;
  return fut.wait_for(std::chrono::milliseconds(timeout_ms)) == std::future_status::ready;
}

Status Service::RefreshLists(bool force) {
  if (!store_) return Status::Ok();
  std::lock_guard<std::mutex> lock(lists_mu_);
  auto entries = store_->LiveListEntries();
  if (!entries.ok()) return entries.status();
  auto partners = store_->LivePartnerIndicators(WallClockMs());
  if (!partners.ok()) return partners.status();
  // The live entries' ids and expiries decide whether anything changed.
  std::string sig;
  sig.reserve(entries->size() * 12);
  for (const auto& e : *entries) {
    sig += std::to_string(e.id);
    sig += ':';
    sig += std::to_string(e.expires_ms.value_or(0));
    sig += ',';
  }
  sig += '|';
  for (const auto& p : *partners) {
    sig += std::to_string(p.id);
    sig += ':';
    sig += std::to_string(p.imported_ms);
    sig += ',';
  }
  if (!force && sig == lists_signature_) return Status::Ok();
  thread_local std::unique_ptr<Normaliser> norm;
  if (!norm) {
    auto n = Normaliser::Create(cfg_.engine.region);
    if (!n.ok()) return n.status();
    norm = std::move(n.value());
  }
  size_t skipped = 0;
  std::shared_ptr<const ListSet> set = BuildStoreLists(*entries, norm.get(), &skipped);
  std::shared_ptr<const PartnerReputation> rep = BuildPartners(*partners, norm.get(), share_key_);
  if (!RunOnEngine([set, rep](Engine& e) {
        InstallStoreLists(e, set);
        InstallPartners(e, rep);
      }))
    return Status::Unavailable("the engine did not take the new lists (stopping or busy)");
  lists_signature_ = std::move(sig);
  metrics_.list_refreshes.fetch_add(1);
  return Status::Ok();
}

}  // namespace callguard
