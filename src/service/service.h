// Service: `callguard serve`. One screening thread owns the engine and runs an epoll loop over
// the SIP sockets (UDP and TCP), a task queue fed by other threads (HTTP screening requests and
// call records to learn from), signals (SIGTERM/SIGINT stop, SIGHUP reloads lists and rules) and
// a one-second timer (idle TCP peers, periodic snapshots). Screening a SIP INVITE never leaves
// that thread, so its answer costs one parse, one assessment and one send.
//
// The engine is single-threaded (DESIGN.md §1); everything that touches it is a task run on the
// screening thread. The HTTP API (src/api) and the spool watcher run on their own threads and
// talk to the engine only through Submit*(). Create, then Run() on the thread that should screen;
// Stop() and the Submit* functions are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/metrics.h"
#include "callguard/call.h"
#include "core/config.h"
#include "core/subscribers.h"
#include "engine/engine.h"
#include "service/activity.h"
#include "service/live_investigation.h"
#include "service/verdict_trail.h"
#include "shaken/cert_cache.h"
#include "sip/screener.h"
#include "store/store.h"

namespace callguard {

// A screening request that came over HTTP, in raw form; the screening thread normalises it.
struct ScreenRequest {
  std::string call_id;
  int64_t start_ms = 0;  // 0 = now
  std::string caller;
  std::string callee;
  std::string ingress;
  std::string trunk;
  std::string origin_country;
  std::string origin_ip;
  bool priority = false;
  std::string identity;  // an Identity header value, verified when SHAKEN is on
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> Create(const Config& cfg,
                                                 std::shared_ptr<const Subscribers> subs);
  ~Service();

  // Binds the listeners and loads the state; errors here mean the service cannot start.
  Status Start();
  // Runs the screening loop until Stop() or SIGTERM/SIGINT; then saves the state.
  Status Run();
  void Stop();

  // Screens a call on the screening thread and returns its verdict JSON (the contract's
  // verdict line). Waits at most the deadline; on overflow or timeout returns a fail-open
  // verdict and counts it. Thread-safe.
  std::string Screen(const ScreenRequest& req);
  // Queues completed calls for the engine to learn from; false when the service is stopping.
  bool SubmitObservations(std::vector<Call> calls);
  // Runs `task` on the screening thread (for reloads and state queries). Thread-safe.
  bool Post(std::function<void()> task, bool bounded);

  // Gives the service its durable store (before Start): verdicts go to the audit trail and the
  // store's list entries join the lists. The store must outlive the service.
  void AttachStore(store::Store* store);
  store::Store* store() const { return store_; }
  // Runs `fn` on the screening thread with the engine and waits for it (at most `timeout_ms`);
  // false when the service is stopping or the engine did not get to it in time.
  bool RunOnEngine(std::function<void(Engine&)> fn, int timeout_ms = 5000);
  // Re-reads the store's list entries and installs them when they changed (`force`: always).
  // Returns once the engine uses them. Thread-safe.
  Status RefreshLists(bool force);
  Activity& activity() { return activity_; }
  // The live investigation (operations, victim tasks); null without a store or when
  // investigate.live is off.
  LiveInvestigation* investigation() { return investigation_.get(); }
  // The number classes learned from the loaded state (null until the warm-up is done), and a
  // counter that changes when they do: other threads' normalisers merge them.
  std::shared_ptr<const Normaliser> warm_classes() const {
    std::lock_guard<std::mutex> lock(warm_mu_);
    return warm_;
  }
  uint64_t warm_generation() const { return warm_generation_.load(std::memory_order_acquire); }
  // Writes the verdict trail's queue to the store now.
  void FlushTrail() {
    if (trail_) trail_->Flush();
  }

  Metrics& metrics() { return metrics_; }
  const Config& config() const { return cfg_; }
  bool ready() const { return ready_.load(); }
  // Bound SIP addresses ("udp://127.0.0.1:5060"), for tests that ask for port 0.
  std::vector<std::string> sip_addresses() const;

 private:
  Service(const Config& cfg, std::shared_ptr<const Subscribers> subs);
  struct Conn;
  Status Listen(const std::string& url);
  Status StartShaken();
  void OnUdp(int fd);
  void OnAccept(int fd);
  void OnTcpReadable(int fd);
  void OnTcpWritable(int fd);
  void CloseConn(int fd);
  void SendTcp(Conn& c, const std::string& bytes);
  void OnTick();
  void DrainTasks();
  void OnSignal();
  void SaveState(const char* why);
  // Classifies the numbers of the loaded state on a side thread and hands the class cache to
  // the screening normaliser, so that a restart does not pay a libphonenumber parse per new
  // prefix on the screening path.
  void StartWarmUp();
  // Every verdict (SIP and HTTP): the overview's counts and the audit trail.
  void OnVerdict(const Call& call, const Decision& d, const Evidence& ev);

  Config cfg_;
  std::shared_ptr<const Subscribers> subs_;
  Metrics metrics_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<sip::Screener> screener_;
  int epoll_ = -1;
  int event_fd_ = -1;  // wakes the loop when tasks arrive
  int signal_fd_ = -1;
  int timer_fd_ = -1;
  std::vector<int> udp_fds_;
  std::vector<int> tcp_listen_fds_;
  std::vector<std::string> bound_;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
  size_t bounded_tasks_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ready_{false};
  int64_t last_snapshot_s_ = 0;
  std::string out_;
  std::unique_ptr<shaken::TrustStore> trust_;
  std::unique_ptr<shaken::CertCache> certs_;
  shaken::VerifyPolicy shaken_policy_;
  std::unique_ptr<Normaliser> http_normaliser_;
  std::thread warm_thread_;  // used on the screening thread for HTTP calls
  Call http_call_;
  store::Store* store_ = nullptr;
  std::unique_ptr<VerdictTrail> trail_;
  std::unique_ptr<LiveInvestigation> investigation_;
  Activity activity_;
  mutable std::mutex warm_mu_;
  std::shared_ptr<const Normaliser> warm_;
  std::atomic<uint64_t> warm_generation_{0};
  std::mutex lists_mu_;  // one refresh at a time
  std::string lists_signature_;
  std::string share_key_;  // investigate.share.key_file: matches partners' pseudonyms
  std::thread refresh_thread_;
  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;
};

}  // namespace callguard
