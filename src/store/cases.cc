// The store's case records: lists, reports, feedback, appeals, and everything about one number.
#include "store/internal.h"

namespace callguard::store {

namespace {

constexpr const char* kListCols =
    "id, kind, type, value, note, source, created_by, created_ms, expires_ms, removed_ms, "
    "removed_by";

ListRecord ListAt(const Rows& r, size_t i) {
  ListRecord e;
  e.id = r.Int(i, 0);
  e.kind = r.Text(i, 1);
  e.type = r.Text(i, 2);
  e.value = r.Text(i, 3);
  e.note = r.Text(i, 4);
  e.source = r.Text(i, 5);
  e.created_by = r.Text(i, 6);
  e.created_ms = r.Int(i, 7);
  e.expires_ms = OptInt(r, i, 8);
  e.removed_ms = OptInt(r, i, 9);
  e.removed_by = r.Text(i, 10);
  return e;
}

constexpr const char* kAppealCols =
    "id, number, contact, reason, call_id, status, decided_by, decision_note, source_ip, "
    "created_ms, decided_ms";

Appeal AppealAt(const Rows& r, size_t i) {
  Appeal a;
  a.id = r.Text(i, 0);
  a.number = r.Text(i, 1);
  a.contact = r.Text(i, 2);
  a.reason = r.Text(i, 3);
  a.call_id = r.Text(i, 4);
  a.status = r.Text(i, 5);
  a.decided_by = r.Text(i, 6);
  a.decision_note = r.Text(i, 7);
  a.source_ip = r.Text(i, 8);
  a.created_ms = r.Int(i, 9);
  a.decided_ms = OptInt(r, i, 10);
  return a;
}

Result<int64_t> InsertList(Db& db, const ListRecord& e) {
  auto r = db.Query(
      "INSERT INTO list_entries (kind, type, value, note, source, created_by, created_ms, "
      "expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
      {e.kind, e.type, e.value, e.note, e.source, e.created_by, e.created_ms,
       Param::Opt(e.expires_ms)});
  if (!r.ok()) return r.status();
  return r->Int(0, 0);
}

// Removes the active block entries of one number (type number) and returns how many.
Result<int64_t> RemoveBlocks(Db& db, const std::string& number, const std::string& by,
                             int64_t now_ms) {
  auto r = db.Query(
      "UPDATE list_entries SET removed_ms = $1, removed_by = $2 WHERE kind = 'block' AND "
      "type = 'number' AND value = $3 AND removed_ms IS NULL",
      {now_ms, by, number});
  if (!r.ok()) return r.status();
  return r->affected;
}

Result<std::vector<ListRecord>> ListEntriesOn(Db& db, const ListQuery& q) {
  // One statement per combination of filters, so that a lookup by value uses its index (an
  // "($1 = '' OR value = $1)" condition would scan the table). Built once.
  static const std::string kSql[2][2] = {
      {std::string("SELECT ") + kListCols + " FROM list_entries WHERE ($1 = '' OR kind = $1)" +
           " AND ($3 = 1 OR (removed_ms IS NULL AND (expires_ms IS NULL OR expires_ms > $4)))" +
           " ORDER BY id DESC LIMIT $5",
       std::string("SELECT ") + kListCols + " FROM list_entries WHERE ($1 = '' OR kind = $1)" +
           " ORDER BY id DESC LIMIT $5"},
      {std::string("SELECT ") + kListCols + " FROM list_entries WHERE value = $2" +
           " AND ($1 = '' OR kind = $1)" +
           " AND ($3 = 1 OR (removed_ms IS NULL AND (expires_ms IS NULL OR expires_ms > $4)))" +
           " ORDER BY id DESC LIMIT $5",
       std::string("SELECT ") + kListCols + " FROM list_entries WHERE value = $2" +
           " AND ($1 = '' OR kind = $1) ORDER BY id DESC LIMIT $5"}};
  const std::string& sql = kSql[q.value.empty() ? 0 : 1][q.include_inactive ? 1 : 0];
  auto r = db.Query(sql, {q.kind, q.value, q.include_inactive ? 1 : 0, q.now_ms, q.limit});
  if (!r.ok()) return r.status();
  std::vector<ListRecord> out;
  for (size_t i = 0; i < r->size(); ++i) out.push_back(ListAt(*r, i));
  return out;
}

Result<std::vector<Report>> ReportsOn(Db& db, const std::string& number, int limit) {
  auto q = db.Query(
      "SELECT id, number, reporter, category, description, call_time_ms, source_ip, created_ms "
      "FROM reports WHERE number = $1 ORDER BY created_ms DESC, id DESC LIMIT $2",
      {number, limit});
  if (!q.ok()) return q.status();
  std::vector<Report> out;
  for (size_t i = 0; i < q->size(); ++i) {
    Report r;
    r.id = q->Int(i, 0);
    r.number = q->Text(i, 1);
    r.reporter = q->Text(i, 2);
    r.category = q->Text(i, 3);
    r.description = q->Text(i, 4);
    r.call_time_ms = OptInt(*q, i, 5);
    r.source_ip = q->Text(i, 6);
    r.created_ms = q->Int(i, 7);
    out.push_back(std::move(r));
  }
  return out;
}

Result<int64_t> CountReportersOn(Db& db, const std::string& number, int64_t since_ms) {
  auto q = db.Query(
      "SELECT COUNT(DISTINCT CASE WHEN reporter = '' THEN 'id:' || CAST(id AS TEXT) ELSE "
      "reporter END) FROM reports WHERE number = $1 AND created_ms >= $2",
      {number, since_ms});
  if (!q.ok()) return q.status();
  return q->Int(0, 0);
}

Result<std::vector<Feedback>> FeedbackOn(Db& db, const std::string& number, int limit) {
  auto q = db.Query(
      "SELECT id, number, verdict, note, analyst, created_ms FROM feedback WHERE number = $1 "
      "ORDER BY created_ms DESC, id DESC LIMIT $2",
      {number, limit});
  if (!q.ok()) return q.status();
  std::vector<Feedback> out;
  for (size_t i = 0; i < q->size(); ++i) {
    Feedback f;
    f.id = q->Int(i, 0);
    f.number = q->Text(i, 1);
    f.verdict = q->Text(i, 2);
    f.note = q->Text(i, 3);
    f.analyst = q->Text(i, 4);
    f.created_ms = q->Int(i, 5);
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<Appeal>> AppealsOn(Db& db, const std::string& status, const std::string& number,
                                      int limit) {
  // By number through its index; otherwise by status (index on status, created_ms).
  static const std::string kByNumber = "SELECT " + std::string(kAppealCols) +
                                       " FROM appeals WHERE number = $2 AND ($1 = '' OR status = "
                                       "$1) ORDER BY created_ms DESC, id LIMIT $3";
  static const std::string kAll = "SELECT " + std::string(kAppealCols) +
                                  " FROM appeals WHERE ($1 = '' OR status = $1) ORDER BY "
                                  "created_ms DESC, id LIMIT $3";
  auto q = db.Query(number.empty() ? kAll : kByNumber, {status, number, limit});
  if (!q.ok()) return q.status();
  std::vector<Appeal> out;
  for (size_t i = 0; i < q->size(); ++i) out.push_back(AppealAt(*q, i));
  return out;
}

}  // namespace

// ---- lists

Result<ListRecord> Store::AddListEntry(ListRecord r) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto id = InsertList(*db, r);
  if (!id.ok()) return id.status();
  r.id = id.value();
  return r;
}

Result<bool> Store::RemoveListEntry(int64_t id, const std::string& by, int64_t now_ms) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto r = db->Query(
      "UPDATE list_entries SET removed_ms = $1, removed_by = $2 WHERE id = $3 AND removed_ms "
      "IS NULL",
      {now_ms, by, id});
  if (!r.ok()) return r.status();
  return r->affected > 0;
}

Result<std::vector<ListRecord>> Store::ListEntries(const ListQuery& q) {
  Lease db = Acquire();
  return ListEntriesOn(*db, q);
}

Result<std::vector<ListRecord>> Store::LiveListEntries() {
  Lease db = Acquire();
  auto r = db->Query(std::string("SELECT ") + kListCols +
                         " FROM list_entries WHERE removed_ms IS NULL ORDER BY id",
                     {});
  if (!r.ok()) return r.status();
  std::vector<ListRecord> out;
  for (size_t i = 0; i < r->size(); ++i) out.push_back(ListAt(*r, i));
  return out;
}

// ---- reports and feedback

Result<Report> Store::AddReport(Report r) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query(
      "INSERT INTO reports (number, reporter, category, description, call_time_ms, source_ip, "
      "created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
      {r.number, r.reporter, r.category, r.description, Param::Opt(r.call_time_ms), r.source_ip,
       r.created_ms});
  if (!q.ok()) return q.status();
  r.id = q->Int(0, 0);
  return r;
}

Result<std::vector<Report>> Store::ReportsFor(const std::string& number, int limit) {
  Lease db = Acquire();
  return ReportsOn(*db, number, limit);
}

Result<int64_t> Store::CountReporters(const std::string& number, int64_t since_ms) {
  Lease db = Acquire();
  return CountReportersOn(*db, number, since_ms);
}

Result<Feedback> Store::AddFeedback(Feedback f) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query(
      "INSERT INTO feedback (number, verdict, note, analyst, created_ms) VALUES ($1, $2, $3, "
      "$4, $5) RETURNING id",
      {f.number, f.verdict, f.note, f.analyst, f.created_ms});
  if (!q.ok()) return q.status();
  f.id = q->Int(0, 0);
  return f;
}

Result<Feedback> Store::ApplyFeedback(Feedback f, const ListRecord& entry) {
  Status st = InTransaction([&](Db& db) -> Status {
    auto q = db.Query(
        "INSERT INTO feedback (number, verdict, note, analyst, created_ms) VALUES ($1, $2, "
        "$3, $4, $5) RETURNING id",
        {f.number, f.verdict, f.note, f.analyst, f.created_ms});
    if (!q.ok()) return q.status();
    f.id = q->Int(0, 0);
    if (f.verdict == "clear") {
      auto n = RemoveBlocks(db, f.number, f.analyst, f.created_ms);
      if (!n.ok()) return n.status();
    } else {
      // A confirmed number loses any allow entry it had, so the block applies.
      auto r = db.Query(
          "UPDATE list_entries SET removed_ms = $1, removed_by = $2 WHERE kind = 'allow' AND "
          "type = 'number' AND value = $3 AND removed_ms IS NULL",
          {f.created_ms, f.analyst, f.number});
      if (!r.ok()) return r.status();
    }
    return InsertList(db, entry).status();
  });
  if (!st.ok()) return st;
  return f;
}

Result<std::vector<Feedback>> Store::FeedbackFor(const std::string& number, int limit) {
  Lease db = Acquire();
  return FeedbackOn(*db, number, limit);
}

// ---- appeals

Result<Appeal> Store::AddAppeal(Appeal a) {
  if (a.id.empty()) a.id = RandomId("ap_", 12);
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query("INSERT INTO appeals (" + std::string(kAppealCols) +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                     {a.id, a.number, a.contact, a.reason, a.call_id, a.status, a.decided_by,
                      a.decision_note, a.source_ip, a.created_ms, Param::Opt(a.decided_ms)});
  if (!q.ok()) return q.status();
  return a;
}

Result<std::optional<Appeal>> Store::GetAppeal(const std::string& id) {
  Lease db = Acquire();
  auto q = db->Query("SELECT " + std::string(kAppealCols) + " FROM appeals WHERE id = $1", {id});
  if (!q.ok()) return q.status();
  if (q->empty()) return std::optional<Appeal>();
  return std::optional<Appeal>(AppealAt(*q, 0));
}

Result<std::vector<Appeal>> Store::Appeals(const std::string& status, const std::string& number,
                                           int limit) {
  Lease db = Acquire();
  return AppealsOn(*db, status, number, limit);
}

Result<Appeal> Store::DecideAppeal(const std::string& id, const std::string& status,
                                   const std::string& by, const std::string& note, int64_t now_ms,
                                   const ListRecord* allow) {
  Appeal out;
  Status st = InTransaction([&](Db& db) -> Status {
    auto q = db.Query("SELECT " + std::string(kAppealCols) + " FROM appeals WHERE id = $1", {id});
    if (!q.ok()) return q.status();
    if (q->empty()) return Status::NotFound("no appeal '" + id + "'");
    out = AppealAt(*q, 0);
    if (out.status != "open")
      return Status::InvalidArgument("appeal '" + id + "' was already decided (" + out.status +
                                     ")");
    auto u = db.Query(
        "UPDATE appeals SET status = $1, decided_by = $2, decision_note = $3, decided_ms = $4 "
        "WHERE id = $5 AND status = 'open'",
        {status, by, note, now_ms, id});
    if (!u.ok()) return u.status();
    if (u->affected != 1)
      return Status::InvalidArgument("appeal '" + id + "' was decided meanwhile");
    out.status = status;
    out.decided_by = by;
    out.decision_note = note;
    out.decided_ms = now_ms;
    if (allow) {
      auto n = RemoveBlocks(db, out.number, by, now_ms);
      if (!n.ok()) return n.status();
      auto ins = InsertList(db, *allow);
      if (!ins.ok()) return ins.status();
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<NumberRecords> Store::ForNumber(const std::string& number, int limit, bool cases,
                                       int64_t now_ms) {
  Lease db = Acquire();  // one connection for the whole page
  NumberRecords out;
  auto lists = ListEntriesOn(
      *db, {.value = number, .include_inactive = true, .now_ms = now_ms, .limit = 100});
  if (!lists.ok()) return lists.status();
  out.lists = std::move(lists.value());
  auto verdicts = VerdictsOn(*db, number, limit);
  if (!verdicts.ok()) return verdicts.status();
  out.verdicts = std::move(verdicts.value());
  if (!cases) return out;
  out.with_cases = true;
  auto reports = ReportsOn(*db, number, limit);
  if (!reports.ok()) return reports.status();
  out.reports = std::move(reports.value());
  auto reporters = CountReportersOn(*db, number, now_ms - 30LL * 86400 * 1000);
  if (!reporters.ok()) return reporters.status();
  out.reporters_30d = reporters.value();
  auto feedback = FeedbackOn(*db, number, 20);
  if (!feedback.ok()) return feedback.status();
  out.feedback = std::move(feedback.value());
  auto appeals = AppealsOn(*db, "", number, 20);
  if (!appeals.ok()) return appeals.status();
  out.appeals = std::move(appeals.value());
  return out;
}

}  // namespace callguard::store
