// The store's schema, as numbered migrations. Never edit a released migration: add one.
// The SQL is shared by both backends except for the auto-increment key, written {pk}.
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace callguard::store {

namespace {

const char* kV1 = R"(
CREATE TABLE list_entries (
  id {pk},
  kind TEXT NOT NULL CHECK (kind IN ('block', 'allow')),
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT,
  removed_ms BIGINT,
  removed_by TEXT
);
CREATE INDEX list_entries_value ON list_entries (value);
CREATE INDEX list_entries_live ON list_entries (removed_ms);

CREATE TABLE reports (
  id {pk},
  number TEXT NOT NULL,
  reporter TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  call_time_ms BIGINT,
  source_ip TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL
);
CREATE INDEX reports_number ON reports (number, created_ms);

CREATE TABLE feedback (
  id {pk},
  number TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('scam', 'clear')),
  note TEXT NOT NULL DEFAULT '',
  analyst TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE INDEX feedback_number ON feedback (number, created_ms);

CREATE TABLE appeals (
  id TEXT PRIMARY KEY,
  number TEXT NOT NULL,
  contact TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  call_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'cleared')),
  decided_by TEXT NOT NULL DEFAULT '',
  decision_note TEXT NOT NULL DEFAULT '',
  source_ip TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  decided_ms BIGINT
);
CREATE INDEX appeals_status ON appeals (status, created_ms);
CREATE INDEX appeals_number ON appeals (number);

CREATE TABLE verdicts (
  id {pk},
  time_ms BIGINT NOT NULL,
  call_id TEXT NOT NULL,
  caller TEXT NOT NULL,
  callee TEXT NOT NULL,
  action TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  verdict TEXT NOT NULL
);
CREATE INDEX verdicts_caller ON verdicts (caller, time_ms);
CREATE INDEX verdicts_time ON verdicts (time_ms);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'screening', 'partner')),
  name TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT,
  revoked_ms BIGINT
);

CREATE TABLE access_log (
  id {pk},
  time_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  status INTEGER NOT NULL
);
CREATE INDEX access_log_target ON access_log (target, time_ms);
CREATE INDEX access_log_time ON access_log (time_ms);
)";

// The access journal copies entries with a unique key, so a copy repeated after a crash adds
// nothing.
const char* kV2 = R"(
ALTER TABLE access_log ADD COLUMN entry_key TEXT;
CREATE UNIQUE INDEX access_log_entry_key ON access_log (entry_key);
)";

// Investigation: cases with their links and enforcement log, victim warning tasks, and the
// indicators partners share.
const char* kV3 = R"(
CREATE TABLE cases (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'referred', 'closed')),
  notes TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE INDEX cases_status ON cases (status, updated_ms);

CREATE TABLE case_links (
  id {pk},
  case_id TEXT NOT NULL REFERENCES cases (id),
  kind TEXT NOT NULL CHECK (kind IN ('operation', 'number')),
  value TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX case_links_unique ON case_links (case_id, kind, value);
CREATE INDEX case_links_value ON case_links (value);

CREATE TABLE enforcement_log (
  id {pk},
  case_id TEXT NOT NULL REFERENCES cases (id),
  action TEXT NOT NULL CHECK (action IN ('raid', 'arrest', 'deportation', 'seizure', 'referral', 'other')),
  occurred_ms BIGINT NOT NULL,
  place TEXT NOT NULL DEFAULT '',
  agency TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}',
  recorded_by TEXT NOT NULL,
  recorded_ms BIGINT NOT NULL
);
CREATE INDEX enforcement_case ON enforcement_log (case_id, occurred_ms);

CREATE TABLE victim_tasks (
  id TEXT PRIMARY KEY,
  person TEXT NOT NULL,
  operation TEXT NOT NULL,
  grade TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('flash_sms', 'voice_call', 'home_visit', 'family_alert')),
  reasons TEXT NOT NULL DEFAULT '',
  parent TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  arrived_ms BIGINT NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'done')),
  outcome TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  updated_by TEXT NOT NULL DEFAULT '',
  updated_ms BIGINT,
  escalated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX victim_tasks_state ON victim_tasks (state, created_ms);
CREATE INDEX victim_tasks_person ON victim_tasks (person);

CREATE TABLE partner_indicators (
  id {pk},
  value_type TEXT NOT NULL CHECK (value_type IN ('number', 'hmac')),
  value TEXT NOT NULL,
  partner TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  stix_id TEXT NOT NULL DEFAULT '',
  confidence DOUBLE PRECISION NOT NULL,
  trust DOUBLE PRECISION NOT NULL,
  valid_until_ms BIGINT NOT NULL,
  imported_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX partner_indicators_unique ON partner_indicators (partner, value_type, value);
)";

}  // namespace

std::vector<std::pair<std::string, std::string>> Migrations(std::string_view backend) {
  std::string pk =
      backend == "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  std::vector<std::pair<std::string, std::string>> out = {
      {"lists, reports, feedback, appeals, verdicts, tokens, access log", kV1},
      {"access log entry keys", kV2},
      {"cases, enforcement log, victim tasks, partner indicators", kV3},
  };
  for (auto& [desc, sql] : out)
    for (size_t at; (at = sql.find("{pk}")) != std::string::npos;) sql.replace(at, 4, pk);
  return out;
}

}  // namespace callguard::store
