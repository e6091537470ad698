// Investigation endpoints: operations found by the live grouping, cases (promote an operation,
// notes, status, links, enforcement log), and the victim warning queue (acknowledge, record the
// outcome). Analysts and admins only; victims' numbers are personal data, so reads are audited.
#include "api/http_util.h"
#include "core/time.h"
#include "service/service.h"

namespace callguard::api {

namespace {

nlohmann::json CaseJson(const store::CaseRecord& c) {
  nlohmann::json links = nlohmann::json::array(), enf = nlohmann::json::array();
  for (const auto& l : c.links)
    links.push_back({{"kind", l.kind},
                     {"value", l.value},
                     {"added_by", l.added_by},
                     {"added_at", TimeText(l.added_ms)}});
  for (const auto& e : c.enforcement) {
    auto details = nlohmann::json::parse(e.details, nullptr, false);
    enf.push_back({{"id", e.id},
                   {"action", e.action},
                   {"occurred_at", TimeText(e.occurred_ms)},
                   {"place", e.place},
                   {"agency", e.agency},
                   {"details", details.is_discarded() ? nlohmann::json::object() : details},
                   {"recorded_by", e.recorded_by},
                   {"recorded_at", TimeText(e.recorded_ms)}});
  }
  return {{"id", c.id},
          {"title", c.title},
          {"status", c.status},
          {"notes", c.notes},
          {"created_by", c.created_by},
          {"created_at", TimeText(c.created_ms)},
          {"updated_at", TimeText(c.updated_ms)},
          {"links", links},
          {"enforcement", enf}};
}

nlohmann::json TaskJson(const store::VictimTaskRecord& t) {
  nlohmann::json reasons = nlohmann::json::array();
  for (size_t p = 0; p < t.reasons.size();) {
    size_t e = t.reasons.find(';', p);
    reasons.push_back(t.reasons.substr(p, e == std::string::npos ? e : e - p));
    if (e == std::string::npos) break;
    p = e + 1;
  }
  nlohmann::json j = {{"id", t.id},
                      {"person", t.person},
                      {"operation", t.operation},
                      {"grade", t.grade},
                      {"kind", t.kind},
                      {"reasons", reasons},
                      {"created_at", TimeText(t.created_ms)},
                      {"deadline", TimeText(t.deadline_ms)},
                      {"state", t.state},
                      {"outcome", t.outcome},
                      {"note", t.note},
                      {"escalated", t.escalated}};
  if (!t.parent.empty()) j["parent"] = t.parent;
  if (t.updated_ms) {
    j["updated_by"] = t.updated_by;
    j["updated_at"] = TimeText(*t.updated_ms);
  }
  return j;
}

LiveInvestigation* Live(Context* ctx, httplib::Response& res) {
  LiveInvestigation* live = ctx->svc->investigation();
  if (!live)
    JsonError(res, 503, "investigation_off",
              "the live investigation is off (investigate.live: false, or no store)");
  return live;
}

void PostCase(Context* ctx, const httplib::Request& req, httplib::Response& res,
              const Principal& who) {
  nlohmann::json body;
  if (!ParseBody(ctx, req, res, {"title", "operation", "numbers", "notes"}, &body)) return;
  std::string title, op, notes;
  if (!GetString(ctx, body, "title", false, &title, res) ||
      !GetString(ctx, body, "operation", false, &op, res) ||
      !GetString(ctx, body, "notes", false, &notes, res))
    return;
  const int64_t now = WallClockMs();
  store::CaseRecord c;
  c.title = title.empty() ? (op.empty() ? "untitled case" : "operation " + op) : title;
  c.notes = notes;
  c.created_by = Actor(who);
  c.created_ms = c.updated_ms = now;
  if (!op.empty()) {
    LiveInvestigation* live = Live(ctx, res);
    if (!live) return;
    auto members = live->Members(op);
    if (members.empty())
      return JsonError(res, 404, "not_found", "no operation '" + op + "' in the latest grouping");
    c.links.push_back({0, "operation", op, c.created_by, now});
    for (const auto& m : members) c.links.push_back({0, "number", m, c.created_by, now});
  }
  if (body.contains("numbers")) {
    if (!body["numbers"].is_array() || body["numbers"].size() > 10000)
      return JsonError(res, 400, "bad_field",
                       "'numbers' must be an array of at most 10000 numbers");
    for (const auto& n : body["numbers"]) {
      Number num;
      if (!n.is_string()) return JsonError(res, 400, "bad_field", "'numbers' must hold strings");
      if (!ParseNumberParam(ctx, n.get<std::string>(), &num, res)) return;
      c.links.push_back({0, "number", num.text, c.created_by, now});
    }
  }
  if (c.links.empty())
    return JsonError(res, 400, "missing_field", "give an 'operation' or 'numbers'");
  auto added = ctx->store->AddCase(c);
  if (!added.ok()) return StoreError(ctx, res, added.status());
  Json(res, 201, CaseJson(*added));
}

void PatchCase(Context* ctx, const httplib::Request& req, httplib::Response& res) {
  nlohmann::json body;
  if (!ParseBody(ctx, req, res, {"status", "notes"}, &body)) return;
  std::string status, notes;
  if (!GetString(ctx, body, "status", false, &status, res) ||
      !GetString(ctx, body, "notes", false, &notes, res))
    return;
  if (body.contains("status") && !OneOf(status, {"open", "referred", "closed"}))
    return JsonError(res, 400, "bad_field", "'status' must be open, referred or closed");
  if (!body.contains("status") && !body.contains("notes"))
    return JsonError(res, 400, "missing_field", "give 'status' and/or 'notes'");
  auto up = ctx->store->UpdateCase(
      req.matches[1].str(),
      body.contains("status") ? std::optional<std::string>(status) : std::nullopt,
      body.contains("notes") ? std::optional<std::string>(notes) : std::nullopt, WallClockMs());
  if (!up.ok() && up.status().code() == Status::Code::kNotFound)
    return JsonError(res, 404, "not_found", std::string(up.status().message()));
  if (!up.ok()) return StoreError(ctx, res, up.status());
  Json(res, 200, CaseJson(*up));
}

// An enforcement-log entry: what was done, when and where, by whom, and the counts (arrests by
// nationality and sex, deportation status).
void PostEnforcement(Context* ctx, const httplib::Request& req, httplib::Response& res,
                     const Principal& who) {
  nlohmann::json body;
  if (!ParseBody(ctx, req, res, {"action", "occurred_at", "place", "agency", "details"}, &body))
    return;
  store::Enforcement e;
  std::optional<int64_t> when;
  if (!GetString(ctx, body, "action", true, &e.action, res) ||
      !GetTime(body, "occurred_at", &when, res) ||
      !GetString(ctx, body, "place", false, &e.place, res) ||
      !GetString(ctx, body, "agency", false, &e.agency, res))
    return;
  if (!OneOf(e.action, {"raid", "arrest", "deportation", "seizure", "referral", "other"}))
    return JsonError(res, 400, "bad_field",
                     "'action' must be raid, arrest, deportation, seizure, referral or other");
  if (!when) return JsonError(res, 400, "missing_field", "'occurred_at' is required");
  nlohmann::json details = body.value("details", nlohmann::json::object());
  if (!details.is_object()) return JsonError(res, 400, "bad_field", "'details' must be an object");
  // Counts, when given, are whole numbers >= 0 (at any depth: by_nationality.CN, by_sex.female).
  std::function<bool(const nlohmann::json&)> counts_ok = [&](const nlohmann::json& j) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_object() && !counts_ok(v)) return false;
      if (v.is_number() && (!v.is_number_integer() || v.get<int64_t>() < 0)) return false;
    }
    return true;
  };
  if (!counts_ok(details))
    return JsonError(res, 400, "bad_field", "counts in 'details' must be whole numbers >= 0");
  e.details = details.dump();
  if (e.details.size() > 16384)
    return JsonError(res, 400, "field_too_long", "'details' is over 16 KiB");
  e.occurred_ms = *when;
  e.recorded_by = Actor(who);
  e.recorded_ms = WallClockMs();
  auto r = ctx->store->AddEnforcement(req.matches[1].str(), e);
  if (!r.ok() && r.status().code() == Status::Code::kNotFound)
    return JsonError(res, 404, "not_found", std::string(r.status().message()));
  if (!r.ok()) return StoreError(ctx, res, r.status());
  Json(res, 201, nlohmann::json{{"id", r->id}, {"case", req.matches[1].str()}});
}

void TaskUpdate(Context* ctx, const httplib::Request& req, httplib::Response& res,
                const Principal& who, bool acknowledge) {
  nlohmann::json body;
  std::string outcome, note;
  if (acknowledge) {
    if (!ParseBody(ctx, req, res, {"note"}, &body)) return;
    if (!GetString(ctx, body, "note", false, &note, res)) return;
  } else {
    if (!ParseBody(ctx, req, res, {"outcome", "note"}, &body)) return;
    if (!GetString(ctx, body, "outcome", true, &outcome, res) ||
        !GetString(ctx, body, "note", false, &note, res))
      return;
    if (!OneOf(outcome, {"reached", "not_reached", "prevented", "paid", "wrong_person", "other"}))
      return JsonError(res, 400, "bad_field",
                       "'outcome' must be reached, not_reached, prevented, paid, wrong_person or "
                       "other");
  }
  auto r = ctx->store->UpdateVictimTask(req.matches[1].str(), acknowledge ? "acknowledged" : "done",
                                        outcome, note, Actor(who), WallClockMs());
  if (!r.ok() && r.status().code() == Status::Code::kNotFound)
    return JsonError(res, 404, "not_found", std::string(r.status().message()));
  if (!r.ok() && r.status().code() == Status::Code::kInvalidArgument)
    return JsonError(res, 409, "conflict", std::string(r.status().message()));
  if (!r.ok()) return StoreError(ctx, res, r.status());
  Json(res, 200, TaskJson(*r));
}

}  // namespace

void RouteInvestigate(httplib::Server& s, Context* ctx) {
  const uint8_t kStaff = kAdmin | kAnalyst;
  s.Get(
      "/v1/operations",
      Guard(ctx, kStaff, [ctx](const httplib::Request&, httplib::Response& res, const Principal&) {
        LiveInvestigation* live = Live(ctx, res);
        if (!live) return;
        nlohmann::json out = nlohmann::json::array();
        for (const auto& o : live->Operations())
          out.push_back({{"id", o.id},
                         {"type", o.type},
                         {"members", o.members},
                         {"calls", o.calls},
                         {"last_seen", TimeText(o.last_ms)}});
        Json(res, 200, nlohmann::json{{"operations", out}});
      }));
  s.Post(
      "/v1/operations/refresh",
      Guard(ctx, kStaff, [ctx](const httplib::Request&, httplib::Response& res, const Principal&) {
        LiveInvestigation* live = Live(ctx, res);
        if (!live) return;
        live->RegroupNow();
        Json(res, 200, nlohmann::json{{"operations", live->Operations().size()}});
      }));
  s.Get(R"(/v1/operations/(op-[0-9a-f]{10}))",
        Guard(ctx, kStaff,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                LiveInvestigation* live = Live(ctx, res);
                if (!live) return;
                LiveOperation op;
                if (!live->Operation(req.matches[1].str(), &op))
                  return JsonError(res, 404, "not_found",
                                   "no operation '" + req.matches[1].str() + "'");
                if (!Audit(ctx, req, res, who, "GET /v1/operations/{id}", op.id)) return;
                Json(res, 200, op.json);
              }));
  s.Get("/v1/cases",
        Guard(ctx, kStaff,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal&) {
                std::string status = req.get_param_value("status");
                if (!status.empty() && !OneOf(status, {"open", "referred", "closed"}))
                  return JsonError(res, 400, "bad_parameter",
                                   "query parameter 'status' must be open, referred or closed");
                int64_t limit;
                if (!QueryInt(req, "limit", 100, 1, 10000, &limit, res)) return;
                auto list = ctx->store->Cases(status, static_cast<int>(limit));
                if (!list.ok()) return StoreError(ctx, res, list.status());
                nlohmann::json out = nlohmann::json::array();
                for (const auto& c : *list) {
                  nlohmann::json j = CaseJson(c);
                  j["links"] = c.links.size();  // the list is a summary; GET one for its links
                  out.push_back(j);
                }
                Json(res, 200, nlohmann::json{{"cases", out}});
              }));
  s.Post("/v1/cases", Guard(ctx, kStaff,
                            [ctx](const httplib::Request& req, httplib::Response& res,
                                  const Principal& who) { PostCase(ctx, req, res, who); }));
  s.Get(R"(/v1/cases/(case_[A-Za-z0-9_-]{1,32}))",
        Guard(ctx, kStaff,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                auto c = ctx->store->GetCase(req.matches[1].str());
                if (!c.ok()) return StoreError(ctx, res, c.status());
                if (!c->has_value())
                  return JsonError(res, 404, "not_found", "no case '" + req.matches[1].str() + "'");
                if (!Audit(ctx, req, res, who, "GET /v1/cases/{id}", (*c)->id)) return;
                Json(res, 200, CaseJson(**c));
              }));
  s.Patch(R"(/v1/cases/(case_[A-Za-z0-9_-]{1,32}))",
          Guard(ctx, kStaff,
                [ctx](const httplib::Request& req, httplib::Response& res, const Principal&) {
                  PatchCase(ctx, req, res);
                }));
  s.Post(R"(/v1/cases/(case_[A-Za-z0-9_-]{1,32})/enforcement)",
         Guard(ctx, kStaff,
               [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                 PostEnforcement(ctx, req, res, who);
               }));
  s.Get("/v1/victims/tasks",
        Guard(ctx, kStaff,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                std::string state = req.get_param_value("state");
                if (!state.empty() && !OneOf(state, {"open", "acknowledged", "done"}))
                  return JsonError(res, 400, "bad_parameter",
                                   "query parameter 'state' must be open, acknowledged or done");
                int64_t limit;
                if (!QueryInt(req, "limit", 200, 1, 10000, &limit, res)) return;
                auto list = ctx->store->VictimTasks(state, static_cast<int>(limit));
                if (!list.ok()) return StoreError(ctx, res, list.status());
                // One audit entry for the queue read (it names many people).
                if (!Audit(ctx, req, res, who, "GET /v1/victims/tasks", "victims-queue")) return;
                nlohmann::json out = nlohmann::json::array();
                for (const auto& t : *list) out.push_back(TaskJson(t));
                Json(res, 200, nlohmann::json{{"tasks", out}});
              }));
  s.Post(R"(/v1/victims/tasks/([0-9a-f]{32})/acknowledge)",
         Guard(ctx, kStaff,
               [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                 TaskUpdate(ctx, req, res, who, true);
               }));
  s.Post(R"(/v1/victims/tasks/([0-9a-f]{32})/outcome)",
         Guard(ctx, kStaff,
               [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                 TaskUpdate(ctx, req, res, who, false);
               }));
}

}  // namespace callguard::api
