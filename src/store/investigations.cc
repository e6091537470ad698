// The store's investigation records: cases (links, enforcement log), victim warning tasks and
// partner indicators.
#include "store/internal.h"

namespace callguard::store {

namespace {

constexpr const char* kCaseCols = "id, title, status, notes, created_by, created_ms, updated_ms";

CaseRecord CaseAt(const Rows& r, size_t i) {
  CaseRecord c;
  c.id = r.Text(i, 0);
  c.title = r.Text(i, 1);
  c.status = r.Text(i, 2);
  c.notes = r.Text(i, 3);
  c.created_by = r.Text(i, 4);
  c.created_ms = r.Int(i, 5);
  c.updated_ms = r.Int(i, 6);
  return c;
}

constexpr const char* kTaskCols =
    "id, person, operation, grade, kind, reasons, parent, created_ms, deadline_ms, arrived_ms, "
    "state, outcome, note, updated_by, updated_ms, escalated";

VictimTaskRecord TaskAt(const Rows& r, size_t i) {
  VictimTaskRecord t;
  t.id = r.Text(i, 0);
  t.person = r.Text(i, 1);
  t.operation = r.Text(i, 2);
  t.grade = r.Text(i, 3);
  t.kind = r.Text(i, 4);
  t.reasons = r.Text(i, 5);
  t.parent = r.Text(i, 6);
  t.created_ms = r.Int(i, 7);
  t.deadline_ms = r.Int(i, 8);
  t.arrived_ms = r.Int(i, 9);
  t.state = r.Text(i, 10);
  t.outcome = r.Text(i, 11);
  t.note = r.Text(i, 12);
  t.updated_by = r.Text(i, 13);
  t.updated_ms = OptInt(r, i, 14);
  t.escalated = r.Int(i, 15) != 0;
  return t;
}

Status InsertLinks(Db& db, const std::string& id, const std::vector<CaseLink>& links,
                   int64_t* added) {
  for (const CaseLink& l : links) {
    auto q = db.Query(
        "INSERT INTO case_links (case_id, kind, value, added_by, added_ms) VALUES ($1, $2, $3, "
        "$4, $5) ON CONFLICT (case_id, kind, value) DO NOTHING",
        {id, l.kind, l.value, l.added_by, l.added_ms});
    if (!q.ok()) return q.status();
    if (added) *added += q->affected;
  }
  return Status::Ok();
}

Status FillCase(Db& db, CaseRecord* c) {
  auto l = db.Query(
      "SELECT id, kind, value, added_by, added_ms FROM case_links WHERE case_id = $1 ORDER BY id",
      {c->id});
  if (!l.ok()) return l.status();
  for (size_t i = 0; i < l->size(); ++i)
    c->links.push_back({l->Int(i, 0), l->Text(i, 1), l->Text(i, 2), l->Text(i, 3), l->Int(i, 4)});
  auto e = db.Query(
      "SELECT id, action, occurred_ms, place, agency, details, recorded_by, recorded_ms FROM "
      "enforcement_log WHERE case_id = $1 ORDER BY occurred_ms, id",
      {c->id});
  if (!e.ok()) return e.status();
  for (size_t i = 0; i < e->size(); ++i)
    c->enforcement.push_back({e->Int(i, 0), e->Text(i, 1), e->Int(i, 2), e->Text(i, 3),
                              e->Text(i, 4), e->Text(i, 5), e->Text(i, 6), e->Int(i, 7)});
  return Status::Ok();
}

}  // namespace

Result<CaseRecord> Store::AddCase(CaseRecord c) {
  if (c.id.empty()) c.id = RandomId("case_", 9);
  Status st = InTransaction([&](Db& db) -> Status {
    auto q = db.Query(
        "INSERT INTO cases (" + std::string(kCaseCols) + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {c.id, c.title, c.status, c.notes, c.created_by, c.created_ms, c.updated_ms});
    if (!q.ok()) return q.status();
    return InsertLinks(db, c.id, c.links, nullptr);
  });
  if (!st.ok()) return st;
  auto got = GetCase(c.id);
  if (!got.ok()) return got.status();
  return **got;
}

Result<std::optional<CaseRecord>> Store::GetCase(const std::string& id) {
  Lease db = Acquire();
  auto q = db->Query("SELECT " + std::string(kCaseCols) + " FROM cases WHERE id = $1", {id});
  if (!q.ok()) return q.status();
  if (q->empty()) return std::optional<CaseRecord>();
  CaseRecord c = CaseAt(*q, 0);
  CG_RETURN_IF_ERROR(FillCase(*db, &c));
  return std::optional<CaseRecord>(std::move(c));
}

Result<std::vector<CaseRecord>> Store::Cases(const std::string& status, int limit) {
  Lease db = Acquire();
  auto q =
      status.empty()
          ? db->Query("SELECT " + std::string(kCaseCols) +
                          " FROM cases ORDER BY updated_ms DESC, id LIMIT $1",
                      {limit})
          : db->Query("SELECT " + std::string(kCaseCols) +
                          " FROM cases WHERE status = $1 ORDER BY updated_ms DESC, id LIMIT $2",
                      {status, limit});
  if (!q.ok()) return q.status();
  std::vector<CaseRecord> out;
  for (size_t i = 0; i < q->size(); ++i) {
    out.push_back(CaseAt(*q, i));
    CG_RETURN_IF_ERROR(FillCase(*db, &out.back()));
  }
  return out;
}

Result<CaseRecord> Store::UpdateCase(const std::string& id,
                                     const std::optional<std::string>& status,
                                     const std::optional<std::string>& notes, int64_t now_ms) {
  {
    auto w = WriteLock();
    Lease db = Acquire();
    auto q = db->Query(
        "UPDATE cases SET status = COALESCE($1, status), notes = COALESCE($2, notes), "
        "updated_ms = $3 WHERE id = $4",
        {status ? Param(*status) : Param(nullptr), notes ? Param(*notes) : Param(nullptr), now_ms,
         id});
    if (!q.ok()) return q.status();
    if (q->affected == 0) return Status::NotFound("no case '" + id + "'");
  }
  auto got = GetCase(id);
  if (!got.ok()) return got.status();
  return **got;
}

Result<int64_t> Store::AddCaseLinks(const std::string& id, const std::vector<CaseLink>& links) {
  int64_t added = 0;
  Status st = InTransaction([&](Db& db) -> Status {
    auto q = db.Query("SELECT id FROM cases WHERE id = $1", {id});
    if (!q.ok()) return q.status();
    if (q->empty()) return Status::NotFound("no case '" + id + "'");
    CG_RETURN_IF_ERROR(InsertLinks(db, id, links, &added));
    int64_t now = links.empty() ? 0 : links.back().added_ms;
    if (added > 0) {
      auto u = db.Query("UPDATE cases SET updated_ms = $1 WHERE id = $2", {now, id});
      if (!u.ok()) return u.status();
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return added;
}

Result<Enforcement> Store::AddEnforcement(const std::string& case_id, Enforcement e) {
  Status st = InTransaction([&](Db& db) -> Status {
    auto q = db.Query("SELECT id FROM cases WHERE id = $1", {case_id});
    if (!q.ok()) return q.status();
    if (q->empty()) return Status::NotFound("no case '" + case_id + "'");
    auto ins = db.Query(
        "INSERT INTO enforcement_log (case_id, action, occurred_ms, place, agency, details, "
        "recorded_by, recorded_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        {case_id, e.action, e.occurred_ms, e.place, e.agency, e.details, e.recorded_by,
         e.recorded_ms});
    if (!ins.ok()) return ins.status();
    e.id = ins->Int(0, 0);
    auto u = db.Query("UPDATE cases SET updated_ms = $1 WHERE id = $2", {e.recorded_ms, case_id});
    return u.ok() ? Status::Ok() : u.status();
  });
  if (!st.ok()) return st;
  return e;
}

Result<bool> Store::AddVictimTask(const VictimTaskRecord& t) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query("INSERT INTO victim_tasks (" + std::string(kTaskCols) +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                         "$15, $16) ON CONFLICT (id) DO NOTHING",
                     {t.id, t.person, t.operation, t.grade, t.kind, t.reasons, t.parent,
                      t.created_ms, t.deadline_ms, t.arrived_ms, t.state, t.outcome, t.note,
                      t.updated_by, Param::Opt(t.updated_ms), t.escalated ? 1 : 0});
  if (!q.ok()) return q.status();
  return q->affected > 0;
}

Result<std::optional<VictimTaskRecord>> Store::GetVictimTask(const std::string& id) {
  Lease db = Acquire();
  auto q = db->Query("SELECT " + std::string(kTaskCols) + " FROM victim_tasks WHERE id = $1", {id});
  if (!q.ok()) return q.status();
  if (q->empty()) return std::optional<VictimTaskRecord>();
  return std::optional<VictimTaskRecord>(TaskAt(*q, 0));
}

Result<std::vector<VictimTaskRecord>> Store::VictimTasks(const std::string& state, int limit) {
  Lease db = Acquire();
  auto q = state.empty()
               ? db->Query("SELECT " + std::string(kTaskCols) +
                               " FROM victim_tasks ORDER BY created_ms DESC, id LIMIT $1",
                           {limit})
               : db->Query("SELECT " + std::string(kTaskCols) +
                               " FROM victim_tasks WHERE state = $1 ORDER BY created_ms DESC, id "
                               "LIMIT $2",
                           {state, limit});
  if (!q.ok()) return q.status();
  std::vector<VictimTaskRecord> out;
  for (size_t i = 0; i < q->size(); ++i) out.push_back(TaskAt(*q, i));
  return out;
}

Result<VictimTaskRecord> Store::UpdateVictimTask(const std::string& id, const std::string& state,
                                                 const std::string& outcome,
                                                 const std::string& note, const std::string& by,
                                                 int64_t now_ms) {
  VictimTaskRecord out;
  Status st = InTransaction([&](Db& db) -> Status {
    auto q =
        db.Query("SELECT " + std::string(kTaskCols) + " FROM victim_tasks WHERE id = $1", {id});
    if (!q.ok()) return q.status();
    if (q->empty()) return Status::NotFound("no task '" + id + "'");
    out = TaskAt(*q, 0);
    if (out.state == "done")
      return Status::InvalidArgument("task '" + id + "' is already done (" + out.outcome + ")");
    if (state == "acknowledged" && out.state != "open")
      return Status::InvalidArgument("task '" + id + "' was already acknowledged");
    auto u = db.Query(
        "UPDATE victim_tasks SET state = $1, outcome = $2, note = $3, updated_by = $4, "
        "updated_ms = $5 WHERE id = $6 AND state = $7",
        {state, outcome, note, by, now_ms, id, out.state});
    if (!u.ok()) return u.status();
    if (u->affected != 1) return Status::InvalidArgument("task '" + id + "' changed meanwhile");
    out.state = state;
    out.outcome = outcome;
    out.note = note;
    out.updated_by = by;
    out.updated_ms = now_ms;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<VictimTaskRecord>> Store::DueEscalations(int64_t before_ms, int limit) {
  Lease db = Acquire();
  auto q = db->Query("SELECT " + std::string(kTaskCols) +
                         " FROM victim_tasks WHERE kind = 'voice_call' AND escalated = 0 AND "
                         "created_ms < $1 AND outcome <> 'reached' AND grade IN ('high', "
                         "'critical') ORDER BY created_ms LIMIT $2",
                     {before_ms, limit});
  if (!q.ok()) return q.status();
  std::vector<VictimTaskRecord> out;
  for (size_t i = 0; i < q->size(); ++i) out.push_back(TaskAt(*q, i));
  return out;
}

Status Store::MarkEscalated(const std::string& id) {
  auto w = WriteLock();
  Lease db = Acquire();
  auto q = db->Query("UPDATE victim_tasks SET escalated = 1 WHERE id = $1", {id});
  return q.ok() ? Status::Ok() : q.status();
}

Status Store::AddPartnerIndicators(const std::vector<PartnerIndicator>& v) {
  return InTransaction([&](Db& db) -> Status {
    for (const PartnerIndicator& p : v) {
      auto q = db.Query(
          "INSERT INTO partner_indicators (value_type, value, partner, reason, stix_id, "
          "confidence, trust, valid_until_ms, imported_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, "
          "$8, $9) ON CONFLICT (partner, value_type, value) DO UPDATE SET reason = "
          "excluded.reason, stix_id = excluded.stix_id, confidence = excluded.confidence, trust "
          "= excluded.trust, valid_until_ms = excluded.valid_until_ms, imported_ms = "
          "excluded.imported_ms",
          {p.value_type, p.value, p.partner, p.reason, p.stix_id, p.confidence, p.trust,
           p.valid_until_ms, p.imported_ms});
      if (!q.ok()) return q.status();
    }
    return Status::Ok();
  });
}

Result<std::vector<PartnerIndicator>> Store::LivePartnerIndicators(int64_t now_ms) {
  Lease db = Acquire();
  auto q = db->Query(
      "SELECT id, value_type, value, partner, reason, stix_id, confidence, trust, valid_until_ms, "
      "imported_ms FROM partner_indicators WHERE valid_until_ms > $1 ORDER BY id",
      {now_ms});
  if (!q.ok()) return q.status();
  std::vector<PartnerIndicator> out;
  for (size_t i = 0; i < q->size(); ++i)
    out.push_back({q->Int(i, 0), q->Text(i, 1), q->Text(i, 2), q->Text(i, 3), q->Text(i, 4),
                   q->Text(i, 5), q->Real(i, 6), q->Real(i, 7), q->Int(i, 8), q->Int(i, 9)});
  return out;
}

}  // namespace callguard::store
