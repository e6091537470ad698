// Db: one connection to an SQL database, SQLite (embedded, WAL) or PostgreSQL (libpq), behind
// the small surface the store needs: parameterised queries with PostgreSQL-style placeholders
// ($1, $2, ...; SQLite binds them by name), text results, transactions and plain scripts for
// migrations. Values cross the boundary as text, which both engines convert exactly.
//
// A connection is not thread-safe; the store (store.h) hands connections out from a pool.
// SQL errors come back as a Status naming the statement's first words; nothing throws.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "callguard/status.h"

namespace callguard::store {

// One bound value: NULL, an integer, a real or text.
struct Param {
  Param(std::nullptr_t) {}                                  // NOLINT: implicit by design
  Param(int64_t v) : v_(v) {}                               // NOLINT
  Param(int v) : v_(int64_t{v}) {}                          // NOLINT
  Param(double v) : v_(v) {}                                // NOLINT
  Param(std::string_view v) : v_(v) {}                      // NOLINT
  Param(const std::string& v) : v_(std::string_view(v)) {}  // NOLINT
  Param(const char* v) : v_(std::string_view(v)) {}         // NOLINT
  // An optional integer: NULL when empty.
  static Param Opt(const std::optional<int64_t>& v) { return v ? Param(*v) : Param(nullptr); }
  std::variant<std::monostate, int64_t, double, std::string_view> v_;
};

// A result: rows of text cells (nullopt for NULL), in the order the query selected them.
struct Rows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  // Cell as text ("" for NULL) or as an integer (0 for NULL).
  const std::string& Text(size_t r, size_t c) const;
  int64_t Int(size_t r, size_t c) const;
  double Real(size_t r, size_t c) const;
  bool Null(size_t r, size_t c) const { return !rows[r][c].has_value(); }
};

class Db {
 public:
  virtual ~Db() = default;
  virtual std::string_view backend() const = 0;  // "sqlite" or "postgresql"
  // Runs one statement with $1.. parameters and returns its rows.
  virtual Result<Rows> Query(std::string_view sql, std::initializer_list<Param> params) = 0;
  // Runs a script of statements without parameters (migrations).
  virtual Status Script(std::string_view sql) = 0;
  Status Begin() { return Script(backend() == "sqlite" ? "BEGIN IMMEDIATE" : "BEGIN"); }
  Status Commit() { return Script("COMMIT"); }
  Status Rollback() { return Script("ROLLBACK"); }
  // False once the connection is broken (PostgreSQL restarted, say); the pool replaces it.
  virtual bool healthy() = 0;
};

// Opens (creating if needed) an SQLite database in WAL mode with a busy timeout.
Result<std::unique_ptr<Db>> OpenSqlite(const std::string& path);
// Connects to PostgreSQL ("postgresql://user@host:port/db?...", any libpq conninfo).
Result<std::unique_ptr<Db>> OpenPostgres(const std::string& url);

}  // namespace callguard::store
