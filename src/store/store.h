// Store: what callguard keeps durably, behind one interface with two backends (SQLite in WAL
// mode, the embedded default, or PostgreSQL when store.url is a postgresql:// URL):
//   - list entries added through the API (block/allow by number, prefix, trunk, country, CIDR;
//     optional expiry; removals are kept as history, never deleted),
//   - subscribers' reports of scam calls, analysts' feedback (confirm scam / clear),
//   - appeals from blocked callers and their decisions,
//   - the verdict audit trail (sampled or full, with retention),
//   - API tokens (only a SHA-256 hash of each), and the audit log of access to personal data.
// The schema is versioned; Open() applies any missing migration (migrations.cc) in a
// transaction, under an advisory lock on PostgreSQL so that two starting servers do not race.
//
// Thread-safe: every call leases a connection from a small pool. Numbers are E.164 strings.
// Times are milliseconds since the Unix epoch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "callguard/status.h"
#include "store/db.h"

namespace callguard::store {

struct ListRecord {
  int64_t id = 0;
  std::string kind;   // block | allow
  std::string type;   // number | prefix | trunk | country | cidr
  std::string value;  // E.164 for numbers and prefixes as given
  std::string note;
  std::string source;      // api | feedback | appeal:<id> | report
  std::string created_by;  // token id or "cli"
  int64_t created_ms = 0;
  std::optional<int64_t> expires_ms;
  std::optional<int64_t> removed_ms;
  std::string removed_by;
  bool Active(int64_t now_ms) const { return !removed_ms && (!expires_ms || *expires_ms > now_ms); }
};

struct Report {
  int64_t id = 0;
  std::string number;    // the number that called (E.164)
  std::string reporter;  // the reporting subscriber's number (optional)
  std::string category;  // impersonation | investment | wangiri | robocall | other ...
  std::string description;
  std::optional<int64_t> call_time_ms;
  std::string source_ip;
  int64_t created_ms = 0;
};

struct Feedback {
  int64_t id = 0;
  std::string number;
  std::string verdict;  // scam | clear
  std::string note;
  std::string analyst;
  int64_t created_ms = 0;
};

struct Appeal {
  std::string id;  // random, unguessable ("ap_...")
  std::string number;
  std::string contact;  // how to reach the appellant
  std::string reason;
  std::string call_id;
  std::string status = "open";  // open | upheld | cleared
  std::string decided_by;
  std::string decision_note;
  std::string source_ip;
  int64_t created_ms = 0;
  std::optional<int64_t> decided_ms;
};

struct VerdictRecord {
  int64_t time_ms = 0;
  std::string call_id, caller, callee, action;
  double score = 0;
  std::string json;  // the verdict line of the contract
};

struct TokenRecord {
  std::string id;
  std::string role;  // admin | analyst | screening | partner
  std::string name;
  int64_t created_ms = 0;
  std::optional<int64_t> expires_ms;
  std::optional<int64_t> revoked_ms;
};

struct AccessRecord {
  int64_t time_ms = 0;
  std::string actor;  // token id
  std::string role;
  std::string action;  // e.g. "GET /v1/numbers/{number}"
  std::string target;  // the number read
  std::string source_ip;
  int status = 0;
  std::string key;  // unique per entry when set (the access journal's segment:offset)
};

// Investigation cases: an operation (or a set of numbers) promoted by an analyst, with notes
// and an enforcement log.
struct CaseLink {
  int64_t id = 0;
  std::string kind;  // operation | number
  std::string value;
  std::string added_by;
  int64_t added_ms = 0;
};
struct Enforcement {
  int64_t id = 0;
  std::string action;  // raid | arrest | deportation | seizure | referral | other
  int64_t occurred_ms = 0;
  std::string place, agency;
  std::string details;  // JSON object: counts by nationality and sex, deportation status, ...
  std::string recorded_by;
  int64_t recorded_ms = 0;
};
struct CaseRecord {
  std::string id;  // "case_..."
  std::string title;
  std::string status = "open";  // open | referred | closed
  std::string notes;
  std::string created_by;
  int64_t created_ms = 0, updated_ms = 0;
  std::vector<CaseLink> links;
  std::vector<Enforcement> enforcement;
};
// A warning task for a likely victim (src/investigate/victims.h), and what was done about it.
struct VictimTaskRecord {
  std::string id, person, operation, grade, kind;
  std::string reasons;  // ';'-separated reason codes
  std::string parent;   // the task an escalation came from
  int64_t created_ms = 0, deadline_ms = 0;
  int64_t arrived_ms = 0;      // wall-clock time the call record that caused it arrived
  std::string state = "open";  // open | acknowledged | done
  std::string outcome;         // reached | not_reached | prevented | paid | wrong_person | other
  std::string note, updated_by;
  std::optional<int64_t> updated_ms;
  bool escalated = false;
};
// An indicator a partner shared (callguard share import): a number in clear or its keyed
// pseudonym, with the partner's confidence, our trust in the partner, and an expiry.
struct PartnerIndicator {
  int64_t id = 0;
  std::string value_type;  // number | hmac
  std::string value;       // E.164, or hex HMAC-SHA256 of the E.164 under the shared key
  std::string partner;
  std::string reason;
  std::string stix_id;
  double confidence = 0;  // 0..1, the partner's
  double trust = 0;       // 0..1, ours in the partner
  int64_t valid_until_ms = 0;
  int64_t imported_ms = 0;
};

// What the store holds about one number, for GET /v1/numbers/{number}.
struct NumberRecords {
  std::vector<ListRecord> lists;  // with history
  std::vector<VerdictRecord> verdicts;
  bool with_cases = false;  // the rest is filled only when asked for
  std::vector<Report> reports;
  int64_t reporters_30d = 0;
  std::vector<Feedback> feedback;
  std::vector<Appeal> appeals;
};

struct ListQuery {
  std::string kind;   // "" = both
  std::string value;  // "" = any
  bool include_inactive = false;
  int64_t now_ms = 0;
  int limit = 1000;
};

class Store {
 public:
  // `url`: "" or sqlite:PATH for SQLite at PATH, postgresql://... for PostgreSQL.
  static Result<std::unique_ptr<Store>> Open(const std::string& url, int pool_size = 4);
  ~Store();

  std::string_view backend() const { return backend_; }
  int schema_version() const { return schema_version_; }

  // Lists.
  Result<ListRecord> AddListEntry(ListRecord r);
  // Marks an entry removed; false when no active entry has that id.
  Result<bool> RemoveListEntry(int64_t id, const std::string& by, int64_t now_ms);
  Result<std::vector<ListRecord>> ListEntries(const ListQuery& q);
  // Every entry that has not been removed (expired ones included: the lists judge expiry).
  Result<std::vector<ListRecord>> LiveListEntries();

  // Reports and feedback.
  Result<Report> AddReport(Report r);
  Result<std::vector<Report>> ReportsFor(const std::string& number, int limit);
  // Distinct reporters (or reports without a reporter) of `number` since `since_ms`.
  Result<int64_t> CountReporters(const std::string& number, int64_t since_ms);
  Result<Feedback> AddFeedback(Feedback f);
  Result<std::vector<Feedback>> FeedbackFor(const std::string& number, int limit);
  // Confirms `number` as a scam: the feedback and a block entry, in one transaction.
  // Clearing: the feedback, every active block entry of the number removed, and an allow entry.
  Result<Feedback> ApplyFeedback(Feedback f, const ListRecord& entry);

  // Appeals.
  Result<Appeal> AddAppeal(Appeal a);
  Result<std::optional<Appeal>> GetAppeal(const std::string& id);
  Result<std::vector<Appeal>> Appeals(const std::string& status, const std::string& number,
                                      int limit);
  // Decides an open appeal. With `allow` set (a cleared appeal) the number's active block
  // entries are removed and `allow` is added, all in one transaction. NotFound when there is no
  // such appeal; InvalidArgument when it was already decided.
  Result<Appeal> DecideAppeal(const std::string& id, const std::string& status,
                              const std::string& by, const std::string& note, int64_t now_ms,
                              const ListRecord* allow);

  // Everything about one number on one connection: list entries, the latest `limit` verdicts
  // and, with `cases`, reports, distinct reporters in 30 days, feedback and appeals.
  Result<NumberRecords> ForNumber(const std::string& number, int limit, bool cases, int64_t now_ms);

  // Verdict audit trail.
  Status AddVerdicts(const std::vector<VerdictRecord>& v);
  // Latest verdicts where `number` was the caller.
  Result<std::vector<VerdictRecord>> VerdictsFor(const std::string& number, int limit);
  Result<int64_t> PurgeVerdicts(int64_t before_ms);
  Result<int64_t> CountVerdicts();

  // Tokens (the hash is hex SHA-256 of the whole token).
  Status AddToken(const TokenRecord& t, const std::string& hash);
  Result<std::optional<TokenRecord>> FindToken(const std::string& hash);
  Result<bool> RevokeToken(const std::string& id, int64_t now_ms);
  Result<std::vector<TokenRecord>> Tokens();

  // Cases (src/store/investigations.cc).
  Result<CaseRecord> AddCase(CaseRecord c);
  Result<std::optional<CaseRecord>> GetCase(const std::string& id);
  Result<std::vector<CaseRecord>> Cases(const std::string& status, int limit);
  // Changes status and/or notes (empty optional = unchanged). NotFound for no such case.
  Result<CaseRecord> UpdateCase(const std::string& id, const std::optional<std::string>& status,
                                const std::optional<std::string>& notes, int64_t now_ms);
  // Adds links; ones the case already has are skipped. Returns how many were new.
  Result<int64_t> AddCaseLinks(const std::string& id, const std::vector<CaseLink>& links);
  Result<Enforcement> AddEnforcement(const std::string& case_id, Enforcement e);

  // Victim warning tasks. AddVictimTask returns false when the id exists (idempotent).
  Result<bool> AddVictimTask(const VictimTaskRecord& t);
  Result<std::optional<VictimTaskRecord>> GetVictimTask(const std::string& id);
  // state "" = every state; newest first.
  Result<std::vector<VictimTaskRecord>> VictimTasks(const std::string& state, int limit);
  // acknowledge (open -> acknowledged) or close with an outcome (-> done). NotFound / Invalid.
  Result<VictimTaskRecord> UpdateVictimTask(const std::string& id, const std::string& state,
                                            const std::string& outcome, const std::string& note,
                                            const std::string& by, int64_t now_ms);
  // Voice calls created before `before_ms`, not escalated, nobody reached: due for a home visit.
  Result<std::vector<VictimTaskRecord>> DueEscalations(int64_t before_ms, int limit);
  Status MarkEscalated(const std::string& id);

  // Partner indicators: an import replaces the same partner's entry for the same value.
  Status AddPartnerIndicators(const std::vector<PartnerIndicator>& v);
  Result<std::vector<PartnerIndicator>> LivePartnerIndicators(int64_t now_ms);

  // Audit log of access.
  Status AddAccess(const std::vector<AccessRecord>& a);
  Result<std::vector<AccessRecord>> AccessLog(const std::string& target, int limit);
  Result<int64_t> PurgeAccess(int64_t before_ms);

 private:
  class Lease;
  Store() = default;
  Lease Acquire();
  void Release(std::unique_ptr<Db> db);
  Status Migrate(Db& db);
  // Runs `fn` in a transaction on one connection; rolls back on error.
  Status InTransaction(const std::function<Status(Db&)>& fn);
  // SQLite allows one writer at a time; writers of this process take turns here instead of
  // meeting SQLITE_BUSY and sleeping in its busy handler. Not held for PostgreSQL.
  std::unique_lock<std::mutex> WriteLock() {
    return backend_ == "sqlite" ? std::unique_lock<std::mutex>(write_mu_)
                                : std::unique_lock<std::mutex>();
  }

  std::string url_;
  std::string backend_;
  int schema_version_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Db>> free_;
  std::mutex write_mu_;
};

// The migrations, oldest first; version i+1 is element i. `backend` picks the dialect.
std::vector<std::pair<std::string, std::string>> Migrations(std::string_view backend);

// A random identifier: `prefix` + `bytes` random bytes in base64url.
std::string RandomId(std::string_view prefix, size_t bytes);
// Hex SHA-256.
std::string Sha256Hex(std::string_view s);

}  // namespace callguard::store
