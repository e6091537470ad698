#include "store/store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/time.h"
#include "shaken/base64url.h"
#include "store/internal.h"

namespace callguard::store {

namespace {

Result<std::unique_ptr<Db>> Connect(const std::string& url) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
    return OpenPostgres(url);
  std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
  return OpenSqlite(path);
}

}  // namespace

Result<std::vector<VerdictRecord>> VerdictsOn(Db& db, const std::string& number, int limit) {
  auto q = db.Query(
      "SELECT time_ms, call_id, caller, callee, action, score, verdict FROM verdicts WHERE "
      "caller = $1 ORDER BY time_ms DESC, id DESC LIMIT $2",
      {number, limit});
  if (!q.ok()) return q.status();
  std::vector<VerdictRecord> out;
  for (size_t i = 0; i < q->size(); ++i) {
    VerdictRecord r;
    r.time_ms = q->Int(i, 0);
    r.call_id = q->Text(i, 1);
    r.caller = q->Text(i, 2);
    r.callee = q->Text(i, 3);
    r.action = q->Text(i, 4);
    r.score = q->Real(i, 5);
    r.json = q->Text(i, 6);
    out.push_back(std::move(r));
  }
  return out;
}

std::string RandomId(std::string_view prefix, size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  return std::string(prefix) + shaken::Base64UrlEncode(raw);
}

std::string Sha256Hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& url, int pool_size) {
  std::unique_ptr<Store> s(new Store);
  s->url_ = url;
  auto first = Connect(url);
  if (!first.ok()) return first.status();
  s->backend_ = std::string(first.value()->backend());
  Status st = s->Migrate(*first.value());
  if (!st.ok()) return st;
  s->free_.push_back(std::move(first.value()));
  for (int i = 1; i < pool_size; ++i) {
    auto c = Connect(url);
    if (!c.ok()) return c.status();
    s->free_.push_back(std::move(c.value()));
  }
  return s;
}

Store::~Store() = default;

Store::Lease Store::Acquire() {
  std::unique_ptr<Db> db;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !free_.empty(); });
    db = std::move(free_.back());
    free_.pop_back();
  }
  if (!db->healthy()) {  // PostgreSQL went away and came back: reconnect once
    auto c = Connect(url_);
    if (c.ok()) db = std::move(c.value());
  }
  return Lease(this, std::move(db));
}

void Store::Release(std::unique_ptr<Db> db) {
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(db));
  cv_.notify_one();
}

Status Store::Migrate(Db& db) {
  CG_RETURN_IF_ERROR(
      db.Script("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_ms BIGINT NOT NULL)"));
  bool pg = backend_ == "postgresql";
  if (pg) CG_RETURN_IF_ERROR(db.Script("SELECT pg_advisory_lock(7274841)"));
  auto migrations = Migrations(backend_);
  Status result;
  // Up to date (the usual case, e.g. a CLI next to a running server): no write lock taken.
  auto current = db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!current.ok()) result = current.status();
  size_t start = current.ok() ? static_cast<size_t>(current->Int(0, 0)) : 0;
  for (size_t i = start; i < migrations.size() && result.ok(); ++i) {
    int version = static_cast<int>(i + 1);
    result = db.Begin();
    if (!result.ok()) break;
    auto have = db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
    if (!have.ok()) {
      result = have.status();
    } else if (have->Int(0, 0) >= version) {
      result = db.Commit();
      continue;
    } else {
      result = db.Script(migrations[i].second);
      if (result.ok())
        result = db.Query("INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                          {version, migrations[i].first, WallClockMs()})
                     .status();
      if (result.ok()) result = db.Commit();
    }
    if (!result.ok()) {
      db.Rollback();
      result = Status::IoError("store: migration " + std::to_string(version) + " (" +
                               migrations[i].first + "): " + std::string(result.message()));
    }
  }
  if (result.ok()) {
    auto have = db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
    if (!have.ok()) {
      result = have.status();
    } else {
      schema_version_ = static_cast<int>(have->Int(0, 0));
      if (schema_version_ > static_cast<int>(migrations.size()))
        result = Status::InvalidArgument(
            "store: the schema is at version " + std::to_string(schema_version_) +
            ", newer than this callguard knows (" + std::to_string(migrations.size()) + ")");
    }
  }
  if (pg) db.Script("SELECT pg_advisory_unlock(7274841)");
  return result;
}

Status Store::InTransaction(const std::function<Status(Db&)>& fn) {
  auto w = WriteLock();
  Lease db = Acquire();
  CG_RETURN_IF_ERROR(db->Begin());
  Status st = fn(*db);
  if (st.ok()) st = db->Commit();
  if (!st.ok()) db->Rollback();
  return st;
}

// ---- verdicts

Status Store::AddVerdicts(const std::vector<VerdictRecord>& v) {
  if (v.empty()) return Status::Ok();
  return InTransaction([&](Db& db) -> Status {
    for (const auto& r : v) {
      auto q = db.Query(
          "INSERT INTO verdicts (time_ms, call_id, caller, callee, action, score, verdict) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7)",
          {r.time_ms, r.call_id, r.caller, r.callee, r.action, r.score, r.json});
      if (!q.ok()) return q.status();
    }
    return Status::Ok();
  });
}

Result<std::vector<VerdictRecord>> Store::VerdictsFor(const std::string& number, int limit) {
  Lease db = Acquire();
  return VerdictsOn(*db, number, limit);
}

Result<int64_t> Store::PurgeVerdicts(int64_t before_ms) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query("DELETE FROM verdicts WHERE time_ms < $1", {before_ms});
  if (!q.ok()) return q.status();
  return q->affected;
}

Result<int64_t> Store::CountVerdicts() {
  Lease db = Acquire();
  auto q = db->Query("SELECT COUNT(*) FROM verdicts", {});
  if (!q.ok()) return q.status();
  return q->Int(0, 0);
}

// ---- tokens

Status Store::AddToken(const TokenRecord& t, const std::string& hash) {
  auto w = WriteLock();
  Lease db = Acquire();
  return db
      ->Query(
          "INSERT INTO tokens (id, hash, role, name, created_ms, expires_ms) VALUES ($1, $2, "
          "$3, $4, $5, $6)",
          {t.id, hash, t.role, t.name, t.created_ms, Param::Opt(t.expires_ms)})
      .status();
}

Result<std::optional<TokenRecord>> Store::FindToken(const std::string& hash) {
  Lease db = Acquire();
  auto q = db->Query(
      "SELECT id, role, name, created_ms, expires_ms, revoked_ms FROM tokens WHERE hash = $1",
      {hash});
  if (!q.ok()) return q.status();
  if (q->empty()) return std::optional<TokenRecord>();
  TokenRecord t;
  t.id = q->Text(0, 0);
  t.role = q->Text(0, 1);
  t.name = q->Text(0, 2);
  t.created_ms = q->Int(0, 3);
  t.expires_ms = OptInt(*q, 0, 4);
  t.revoked_ms = OptInt(*q, 0, 5);
  return std::optional<TokenRecord>(std::move(t));
}

Result<bool> Store::RevokeToken(const std::string& id, int64_t now_ms) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query("UPDATE tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
                     {now_ms, id});
  if (!q.ok()) return q.status();
  return q->affected > 0;
}

Result<std::vector<TokenRecord>> Store::Tokens() {
  Lease db = Acquire();
  auto q = db->Query(
      "SELECT id, role, name, created_ms, expires_ms, revoked_ms FROM tokens ORDER BY "
      "created_ms, id",
      {});
  if (!q.ok()) return q.status();
  std::vector<TokenRecord> out;
  for (size_t i = 0; i < q->size(); ++i) {
    TokenRecord t;
    t.id = q->Text(i, 0);
    t.role = q->Text(i, 1);
    t.name = q->Text(i, 2);
    t.created_ms = q->Int(i, 3);
    t.expires_ms = OptInt(*q, i, 4);
    t.revoked_ms = OptInt(*q, i, 5);
    out.push_back(std::move(t));
  }
  return out;
}

// ---- access log

Status Store::AddAccess(const std::vector<AccessRecord>& a) {
  if (a.empty()) return Status::Ok();
  return InTransaction([&](Db& db) -> Status {
    for (const auto& r : a) {
      auto q = db.Query(
          "INSERT INTO access_log (time_ms, actor, role, action, target, source_ip, status, "
          "entry_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (entry_key) DO NOTHING",
          {r.time_ms, r.actor, r.role, r.action, r.target, r.source_ip, r.status,
           r.key.empty() ? Param(nullptr) : Param(r.key)});
      if (!q.ok()) return q.status();
    }
    return Status::Ok();
  });
}

Result<std::vector<AccessRecord>> Store::AccessLog(const std::string& target, int limit) {
  Lease db = Acquire();
  auto q = db->Query(
      "SELECT time_ms, actor, role, action, target, source_ip, status FROM access_log WHERE ($1 "
      "= '' OR target = $1) ORDER BY time_ms DESC, id DESC LIMIT $2",
      {target, limit});
  if (!q.ok()) return q.status();
  std::vector<AccessRecord> out;
  for (size_t i = 0; i < q->size(); ++i) {
    AccessRecord r;
    r.time_ms = q->Int(i, 0);
    r.actor = q->Text(i, 1);
    r.role = q->Text(i, 2);
    r.action = q->Text(i, 3);
    r.target = q->Text(i, 4);
    r.source_ip = q->Text(i, 5);
    r.status = static_cast<int>(q->Int(i, 6));
    out.push_back(std::move(r));
  }
  return out;
}

Result<int64_t> Store::PurgeAccess(int64_t before_ms) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query("DELETE FROM access_log WHERE time_ms < $1", {before_ms});
  if (!q.ok()) return q.status();
  return q->affected;
}

}  // namespace callguard::store
