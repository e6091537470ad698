// Internal to src/store: the pooled-connection lease and row helpers shared by the store's
// source files (store.cc: connections, migrations, verdicts, tokens, access log; cases.cc: lists,
// reports, feedback, appeals).
#pragma once

#include <optional>

#include "store/store.h"

namespace callguard::store {

class Store::Lease {
 public:
  Lease(Store* s, std::unique_ptr<Db> db) : store_(s), db_(std::move(db)) {}
  Lease(Lease&&) = default;
  ~Lease() {
    if (db_) store_->Release(std::move(db_));
  }
  Db* get() { return db_.get(); }
  Db* operator->() { return db_.get(); }
  Db& operator*() { return *db_; }

 private:
  Store* store_;
  std::unique_ptr<Db> db_;
};

inline std::optional<int64_t> OptInt(const Rows& r, size_t row, size_t c) {
  if (r.Null(row, c)) return std::nullopt;
  return r.Int(row, c);
}

// The latest `limit` recorded verdicts of calls from `number`.
Result<std::vector<VerdictRecord>> VerdictsOn(Db& db, const std::string& number, int limit);

}  // namespace callguard::store
