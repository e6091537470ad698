#include "store/db.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace callguard::store {

namespace {

// The first words of a statement, for error messages.
std::string Head(std::string_view sql) {
  size_t b = sql.find_first_not_of(" \n\t");
  if (b == std::string_view::npos) return "";
  sql.remove_prefix(b);
  std::string s(sql.substr(0, 48));
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  return sql.size() > 48 ? s + "..." : s;
}

const std::string kEmpty;

class SqliteDb : public Db {
 public:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  ~SqliteDb() override {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }
  std::string_view backend() const override { return "sqlite"; }
  bool healthy() override { return true; }

  Result<Rows> Query(std::string_view sql, std::initializer_list<Param> params) override {
    sqlite3_stmt* st = nullptr;
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      st = it->second;
    } else {
      if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
        return Status::IoError("sqlite: " + Head(sql) + ": " + sqlite3_errmsg(db_));
      cache_.emplace(std::string(sql), st);
    }
    int i = 0;
    char name[16];
    for (const Param& p : params) {
      std::snprintf(name, sizeof name, "$%d", ++i);
      int idx = sqlite3_bind_parameter_index(st, name);
      if (idx == 0) continue;  // not used by this statement
      int rc;
      if (std::holds_alternative<std::monostate>(p.v_)) {
        rc = sqlite3_bind_null(st, idx);
      } else if (auto* v = std::get_if<int64_t>(&p.v_)) {
        rc = sqlite3_bind_int64(st, idx, *v);
      } else if (auto* d = std::get_if<double>(&p.v_)) {
        rc = sqlite3_bind_double(st, idx, *d);
      } else {
        auto s = std::get<std::string_view>(p.v_);
        rc = sqlite3_bind_text(st, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return Status::IoError("sqlite: " + Head(sql) + ": bind " + name + ": " +
                               sqlite3_errmsg(db_));
      }
    }
    Rows out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      int n = sqlite3_column_count(st);
      auto& row = out.rows.emplace_back(n);
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) continue;
        const unsigned char* t = sqlite3_column_text(st, c);
        row[c].emplace(reinterpret_cast<const char*>(t), sqlite3_column_bytes(st, c));
      }
    }
    Status status;
    if (rc != SQLITE_DONE)
      status = Status::IoError("sqlite: " + Head(sql) + ": " + sqlite3_errmsg(db_));
    out.affected = sqlite3_changes64(db_);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!status.ok()) return status;
    return out;
  }

  Status Script(std::string_view sql) override {
    char* err = nullptr;
    std::string s(sql);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = "sqlite: " + Head(sql) + ": " + (err ? err : "error");
      sqlite3_free(err);
      return Status::IoError(msg);
    }
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  // Prepared statements by SQL text (looked up without copying the text).
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> cache_;
};

class PostgresDb : public Db {
 public:
  explicit PostgresDb(PGconn* c) : conn_(c) {}
  ~PostgresDb() override { PQfinish(conn_); }
  std::string_view backend() const override { return "postgresql"; }
  bool healthy() override { return PQstatus(conn_) == CONNECTION_OK; }

  Result<Rows> Query(std::string_view sql, std::initializer_list<Param> params) override {
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    // Parameter types are given (int8, float8, text; NULL left to the server), so a statement
    // need not use every parameter it is passed.
    std::vector<Oid> types(params.size(), 0);
    size_t i = 0;
    for (const Param& p : params) {
      if (std::holds_alternative<std::monostate>(p.v_)) {
        values[i] = nullptr;
      } else {
        if (auto* v = std::get_if<int64_t>(&p.v_)) {
          text[i] = std::to_string(*v);
          types[i] = 20;  // int8
        } else if (auto* d = std::get_if<double>(&p.v_)) {
          char b[32];
          std::snprintf(b, sizeof b, "%.17g", *d);
          text[i] = b;
          types[i] = 701;  // float8
        } else {
          text[i] = std::string(std::get<std::string_view>(p.v_));
          types[i] = 25;  // text
        }
        values[i] = text[i].c_str();
      }
      ++i;
    }
    std::string s(sql);
    PGresult* r = PQexecParams(conn_, s.c_str(), static_cast<int>(values.size()), types.data(),
                               values.data(), nullptr, nullptr, 0);
    ExecStatusType es = PQresultStatus(r);
    if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK) {
      std::string msg = "postgresql: " + Head(sql) + ": " + PQresultErrorMessage(r);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      PQclear(r);
      return Status::IoError(msg);
    }
    Rows out;
    int nr = PQntuples(r), nc = PQnfields(r);
    out.rows.resize(nr);
    for (int row = 0; row < nr; ++row) {
      out.rows[row].resize(nc);
      for (int c = 0; c < nc; ++c)
        if (!PQgetisnull(r, row, c))
          out.rows[row][c].emplace(PQgetvalue(r, row, c), PQgetlength(r, row, c));
    }
    const char* aff = PQcmdTuples(r);
    out.affected = aff && *aff ? std::atoll(aff) : 0;
    PQclear(r);
    return out;
  }

  Status Script(std::string_view sql) override {
    std::string s(sql);
    PGresult* r = PQexec(conn_, s.c_str());
    ExecStatusType es = PQresultStatus(r);
    Status st;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
      std::string msg = "postgresql: " + Head(sql) + ": " + PQresultErrorMessage(r);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      st = Status::IoError(msg);
    }
    PQclear(r);
    return st;
  }

 private:
  PGconn* conn_;
};

}  // namespace

const std::string& Rows::Text(size_t r, size_t c) const {
  const auto& v = rows[r][c];
  return v ? *v : kEmpty;
}

int64_t Rows::Int(size_t r, size_t c) const {
  const auto& v = rows[r][c];
  return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

double Rows::Real(size_t r, size_t c) const {
  const auto& v = rows[r][c];
  return v ? std::strtod(v->c_str(), nullptr) : 0;
}

Result<std::unique_ptr<Db>> OpenSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IoError("store: cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 10000);
  auto out = std::make_unique<SqliteDb>(db);
  // WAL: readers never wait for the writer; synchronous=NORMAL: a commit survives a crash of
  // the process (kill -9) without an fsync per commit (a power loss may undo the last few).
  Status st =
      out->Script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  if (!st.ok()) return Status::IoError("store: " + path + ": " + std::string(st.message()));
  return std::unique_ptr<Db>(std::move(out));
}

Result<std::unique_ptr<Db>> OpenPostgres(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    return Status::Unavailable("store: cannot connect to PostgreSQL: " + msg);
  }
  auto out = std::make_unique<PostgresDb>(c);
  Status st = out->Script("SET client_min_messages = warning");
  if (!st.ok()) return st;
  return std::unique_ptr<Db>(std::move(out));
}

}  // namespace callguard::store
