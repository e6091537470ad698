// InvestigateConfig: the `investigate:` section of the configuration (grouping risky numbers into
// operations, grading their victims, and the warning tasks). Parsed with the rest of the file so
// that one load reports every mistake; a plain value. Every key and default is in
// docs/configuration.md.
#pragma once

#include <string>
#include <vector>

#include "core/config_reader.h"

namespace callguard {

struct OpsConfig {
  double candidate_score = 0.5;      // numbers whose highest verdict score reaches this are grouped
  int hub_callers = 200;             // callees reached by more distinct callers are hubs (skipped)
  int min_shared_callees = 2;        // a co-callee link needs at least this many shared callees
  double min_lift = 3;               // ... this much more overlap than chance
  double max_p = 0.005;              // ... and at most this chance of that overlap by accident
  int strong_shared_callees = 5;     // a strong co-callee link needs this many
  double strong_p = 1e-6;            // ... and at most this chance
  double near_duplicate = 0.5;       // MinHash Jaccard of callee sets for "same caller set"
  int max_attribute_numbers = 3000;  // larger groups sharing a value: nearest users, not all pairs
  int64_t max_attribute_pairs = 4000000;  // pair budget of one large group
  double min_attribute_weight = 0.15;     // IDF weight below which an attribute links nobody
  double idf_population = 1000;           // rarity is judged among at least this many callers
  double coactivity_bin_s = 1800;         // time bins of the activity profiles
  double coactivity_min = 0.6;            // cosine of activity profiles for a co-activity link
  int coactivity_min_calls = 5;           // both numbers need at least this many calls
  double resolution = 0.02;               // Leiden CPM resolution: the density a group must exceed
  int min_members = 2;                    // smaller groups are not reported as operations
  int seed = 1;                           // Leiden's random seed (results are deterministic)
  double interval_s = 300;                // in `serve`: how often operations are recomputed
  double window_s = 3 * 86400.0;          // in `serve`: calls kept for grouping and victims
  // In `serve`: how long the verified origid of a screened INVITE waits for the call's record
  // (joined by call id; at most kMaxOrigidJoin waiting).
  double origid_join_s = 6 * 3600.0;
};

// One grading rule: every condition that is set must hold.
struct GradeRule {
  std::string grade;  // critical | high | medium
  std::string name;   // reason code when it matches
  double longest_call_s = -1;
  double connected_s_72h = -1;
  int operation_numbers = -1;   // distinct scam-side numbers that reached them (connected)
  double operation_call_s = 0;  // ... counting only numbers with a call at least this long
  bool in_operation = false;    // the contact belongs to a grouped operation
  bool elderly = false;         // age band 60+
  bool vulnerable = false;
  bool first_contact_foreign = false;  // first contact came over international or VoIP ingress
  bool callback = false;               // they called the scam side back
};

struct WarningsConfig {
  std::string min_grade = "medium";  // grades below this get no task
  // Channel and deadline per grade.
  std::string critical_task = "voice_call";
  std::string high_task = "voice_call";
  std::string medium_task = "flash_sms";
  double critical_deadline_s = 600;
  double high_deadline_s = 1800;
  double medium_deadline_s = 3600;
  bool family_alert = true;        // also alert the family of elderly/vulnerable critical victims
  double escalate_after_s = 1800;  // an unanswered high/critical call becomes a home visit
  double fatigue_s = 86400;        // at most one message per person per operation in this time
  std::string webhook;             // POST each task here ("" = none)
  std::string webhook_token_env;   // env var holding a bearer token for the webhook
  int webhook_attempts = 6;
  double webhook_backoff_s = 1;  // doubled after each failed attempt
  double webhook_timeout_s = 5;
  std::string tasks_file;  // also append each task to this JSON Lines file
};

// Sharing with partners (callguard share export/import, and matching imported pseudonyms).
struct ShareConfig {
  std::string key_file;  // the HMAC key the partners share ("" = numbers in clear only)
  std::string identity = "callguard operator";  // our name in exported bundles
  std::string tlp = "amber";                    // clear | green | amber | red
  double valid_s = 30 * 86400.0;                // how long exported indicators stay valid
};

struct InvestigateConfig {
  bool live = true;  // in `serve` (with a store): group operations and grade victims live
  OpsConfig ops;
  std::vector<GradeRule> grades;  // defaults: the anti-fraud-centre style rules of the docs
  WarningsConfig warnings;
  ShareConfig share;
};

std::vector<GradeRule> DefaultGradeRules();
void ParseInvestigateConfig(ConfigNode n, const std::string& base_dir, InvestigateConfig* out);
int GradeRank(const std::string& grade);  // low 0, medium 1, high 2, critical 3; -1 unknown

}  // namespace callguard
