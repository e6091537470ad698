// Investigation: the evidence gate, IDF weighting, Leiden against chaining, the evaluation
// metrics, victim grading, task planning and delivery.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "core/config.h"
#include "detectors/lists/list_set.h"
#include "investigate/call_set.h"
#include "investigate/dispatch.h"
#include "investigate/operations.h"
#include "investigate/ops_eval.h"
#include "investigate/signing.h"
#include "investigate/stix.h"
#include "investigate/victims.h"
#include "test_util.h"

namespace callguard::investigate {
namespace {

using callguard::testing::MakeCallAt;
using callguard::testing::TempDir;

constexpr int64_t kDay = 1772409600;  // 2026-03-02T00:00:00Z

std::string Mobile(int i) {  // valid CN mobile numbers
  char buf[32];
  std::snprintf(buf, sizeof buf, "+86139%08d", 10000000 + i);
  return buf;
}

// A background of ordinary callers (none risky) that also use one big shared gateway trunk.
void Background(CallSet* set, int callers) {
  uint64_t x = 12345;
  for (int i = 0; i < callers; ++i)
    for (int k = 0; k < 5; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      Call c = MakeCallAt(kDay + 3600 * (8 + k) + i, Mobile(50000 + i),
                          Mobile(100000 + static_cast<int>((x >> 33) % 5000)));
      c.trunk = "gw-big";
      set->Add(c);
    }
}

void Risky(CallSet* set, const std::string& number) {
  set->NoteVerdict(set->Find(number), 0.9f, 2);
}

const Link* FindLink(const std::vector<Link>& links, const CallSet& set, const std::string& a,
                     const std::string& b) {
  uint32_t x = set.Find(a), y = set.Find(b);
  if (x > y) std::swap(x, y);
  for (const Link& l : links)
    if (l.a == x && l.b == y) return &l;
  return nullptr;
}

TEST(Links, OneStrongOrTwoWeakKindsAndCommonAttributesLinkNobody) {
  Config cfg = LoadConfig("").value();
  CallSet set(cfg);
  Background(&set, 400);
  // Two numbers on one handset (strong: device).
  for (int k = 0; k < 3; ++k)
    for (const char* who : {"A", "B"}) {
      Call c =
          MakeCallAt(kDay + 36000 + k * 60 + (who[0] - 'A'), who[0] == 'A' ? Mobile(1) : Mobile(2),
                     Mobile(200000 + k + 10 * (who[0] - 'A')));
      c.imei = "356938035643809";
      c.trunk = "gw-big";
      set.Add(c);
    }
  // Two numbers from one rare address block, working the same hour (weak + weak).
  for (int k = 0; k < 8; ++k)
    for (int who : {3, 4}) {
      Call c = MakeCallAt(kDay + 40000 + k * 120 + who, Mobile(who), Mobile(300000 + k * 7 + who),
                          false, 0, Ingress::kVoip);
      ParseIp("203.0.113." + std::to_string(who), &c.origin_ip);
      set.Add(c);
    }
  // One more from that block, but working a different day (one weak kind only).
  for (int k = 0; k < 8; ++k) {
    Call c = MakeCallAt(kDay + 5 * 86400 + k * 120, Mobile(5), Mobile(400000 + k), false, 0,
                        Ingress::kVoip);
    ParseIp("203.0.113.9", &c.origin_ip);
    set.Add(c);
  }
  for (int i = 1; i <= 5; ++i) Risky(&set, Mobile(i));
  // Background callers share gw-big with the device pair; make two of them risky too.
  Risky(&set, Mobile(50000));
  Risky(&set, Mobile(50001));

  LinkStats st;
  auto cands = Candidates(set, cfg.investigate.ops);
  EXPECT_EQ(cands.size(), 7u);
  auto links = BuildLinks(set, cands, cfg.investigate.ops, &st);
  const Link* dev = FindLink(links, set, Mobile(1), Mobile(2));
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->evidence[0].kind, LinkKind::kDevice);
  EXPECT_TRUE(dev->evidence[0].strong);
  const Link* weak = FindLink(links, set, Mobile(3), Mobile(4));
  ASSERT_NE(weak, nullptr);
  std::set<LinkKind> kinds;
  for (const auto& e : weak->evidence) kinds.insert(e.kind);
  EXPECT_TRUE(kinds.count(LinkKind::kAddressBlock));
  EXPECT_TRUE(kinds.count(LinkKind::kCoActivity));
  EXPECT_EQ(FindLink(links, set, Mobile(3), Mobile(5)), nullptr);  // block only: gated out
  EXPECT_GE(st.gated_out, 1u);
  // gw-big is used by every caller: its weight is ~0, it links nobody.
  EXPECT_EQ(FindLink(links, set, Mobile(50000), Mobile(50001)), nullptr);
  EXPECT_EQ(FindLink(links, set, Mobile(1), Mobile(50000)), nullptr);
}

TEST(Links, ASharedOriginationIdIsStrongUnlessTheProviderGivesItToEveryone) {
  Config cfg = LoadConfig("").value();
  CallSet set(cfg);
  Background(&set, 400);
  // Every background caller's calls carry one origid: a provider that stamps a whole gateway.
  for (int i = 0; i < 400; ++i) {
    Call c = MakeCallAt(kDay + 7200 + i, Mobile(50000 + i), Mobile(100000 + i));
    c.origid = "gateway-wide";
    set.Add(c);
  }
  // Two spoofed caller IDs placed by one customer account, on different days, reaching
  // different people, over routes nothing else links.
  for (int k = 0; k < 4; ++k)
    for (int who : {11, 12}) {
      Call c = MakeCallAt(kDay + (who - 11) * 3 * 86400 + k * 600, Mobile(who),
                          Mobile(500000 + 10 * who + k), false, 0, Ingress::kVoip);
      c.origid = "de2b7e2c-8ad4-4bd3-9e7a-6c1f0b5d1a11";
      set.Add(c);
    }
  Call other = MakeCallAt(kDay + 9000, Mobile(13), Mobile(600000), false, 0, Ingress::kVoip);
  other.origid = "3f1d0c55-0000-4000-8000-000000000001";
  set.Add(other);
  for (int i : {11, 12, 13, 50000, 50001}) Risky(&set, Mobile(i));
  LinkStats st;
  auto links = BuildLinks(set, Candidates(set, cfg.investigate.ops), cfg.investigate.ops, &st);
  const Link* l = FindLink(links, set, Mobile(11), Mobile(12));
  ASSERT_NE(l, nullptr);
  ASSERT_EQ(l->evidence.size(), 1u);
  EXPECT_EQ(l->evidence[0].kind, LinkKind::kOrigid);
  EXPECT_STREQ(LinkKindName(l->evidence[0].kind), "origid");
  EXPECT_TRUE(l->evidence[0].strong);
  EXPECT_EQ(set.attributes()[l->evidence[0].attr].value, "de2b7e2c-8ad4-4bd3-9e7a-6c1f0b5d1a11");
  EXPECT_GT(l->evidence[0].weight, 0.8f);  // two callers of >= 1000: rare
  EXPECT_EQ(st.by_kind[static_cast<int>(LinkKind::kOrigid)], 1u);
  EXPECT_EQ(FindLink(links, set, Mobile(11), Mobile(13)), nullptr);
  // The gateway-wide origid is used by every caller: weight ~0, links nobody.
  EXPECT_EQ(FindLink(links, set, Mobile(50000), Mobile(50001)), nullptr);

  // Grouped, the operation lists its origination ids.
  auto res = FindOperations(set, cfg.investigate.ops);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->operations.size(), 1u);
  EXPECT_EQ(res->operations[0].origids.size(), 1u);
  EXPECT_EQ(res->operations[0].origids.begin()->second, 8u);
  std::string json = OperationJson(set, *res, res->operations[0], 10);
  EXPECT_NE(json.find("\"origids\":{\"de2b7e2c-8ad4-4bd3-9e7a-6c1f0b5d1a11\":8}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"kind\":\"origid\""), std::string::npos) << json;
}

TEST(CallSet, CompactForgetsWhatOnlyTrimmedCallsUsedAndKeepsTheLinks) {
  Config cfg = LoadConfig("").value();
  CallSet set(cfg);
  // Day 0: 300 one-off callers on their own devices; day 5: two numbers on one handset among
  // 50 background callers.
  for (int i = 0; i < 300; ++i) {
    Call c = MakeCallAt(kDay + i, Mobile(70000 + i), Mobile(80000 + i));
    c.imei = "old-device-" + std::to_string(i);
    set.Add(c);
  }
  for (int k = 0; k < 3; ++k)
    for (int who : {1, 2}) {
      Call c =
          MakeCallAt(kDay + 5 * 86400 + k * 60 + who, Mobile(who), Mobile(200000 + 10 * who + k));
      c.imei = "356938035643809";
      set.Add(c);
    }
  for (int i = 0; i < 50; ++i)
    set.Add(MakeCallAt(kDay + 5 * 86400 + 600 + i, Mobile(90000 + i), Mobile(91000 + i)));
  Risky(&set, Mobile(1));
  Risky(&set, Mobile(2));
  auto before = BuildLinks(set, Candidates(set, cfg.investigate.ops), cfg.investigate.ops, nullptr);
  ASSERT_EQ(before.size(), 1u);
  const float weight_before = before[0].weight;

  set.Trim(kDay * 1000 + 4 * 86400000LL);
  EXPECT_EQ(set.numbers().size(), 2u + 6 + 600 + 100);  // Trim keeps numbers interned
  set.Compact();
  EXPECT_EQ(set.calls().size(), 56u);
  EXPECT_EQ(set.numbers().size(), 2u + 6 + 100);  // the day-0 callers and callees are gone
  EXPECT_EQ(set.attributes().size(), 1u);         // so are their devices
  EXPECT_EQ(set.attributes()[0].callers, 2u);
  EXPECT_EQ(set.Find(Mobile(70000)), UINT32_MAX);
  uint32_t a = set.Find(Mobile(1));
  ASSERT_NE(a, UINT32_MAX);
  EXPECT_EQ(set.numbers()[a].calls_out, 3u);
  EXPECT_FLOAT_EQ(set.numbers()[a].max_score, 0.9f);  // verdicts are kept
  for (const CallRec& r : set.calls()) {
    ASSERT_LT(r.caller, set.numbers().size());
    ASSERT_LT(r.callee, set.numbers().size());
  }
  // New calls intern as before; the same link comes out.
  Call c = MakeCallAt(kDay + 5 * 86400 + 900, Mobile(1), Mobile(200099));
  c.imei = "356938035643809";
  set.Add(c);
  EXPECT_EQ(set.attributes().size(), 1u);
  LinkStats st;
  auto after = BuildLinks(set, Candidates(set, cfg.investigate.ops), cfg.investigate.ops, &st);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(set.numbers()[after[0].a].text, Mobile(1));
  EXPECT_EQ(set.numbers()[after[0].b].text, Mobile(2));
  EXPECT_EQ(after[0].evidence[0].kind, LinkKind::kDevice);
  // Rarer now (fewer callers, but the population floor holds): weight at least as high.
  EXPECT_GE(after[0].weight, weight_before - 1e-6f);
}

TEST(Operations, LeidenKeepsTwoDenseGroupsApartWhereComponentsWouldChainThem) {
  Config cfg = LoadConfig("").value();
  CallSet set(cfg);
  Background(&set, 300);
  // Two gateways of 10 SIMs each (one device per gateway), and one spare handset that a SIM of
  // each gateway was once put in: a single link between two dense groups.
  auto add = [&](int num, const std::string& imei, int k) {
    Call c = MakeCallAt(kDay + 30000 + k * 97 + num, Mobile(num), Mobile(600000 + num * 50 + k));
    c.imei = imei;
    set.Add(c);
  };
  for (int n = 0; n < 10; ++n)
    for (int k = 0; k < 4; ++k) add(10 + n, "860000000000001", k);
  for (int n = 0; n < 10; ++n)
    for (int k = 0; k < 4; ++k) add(30 + n, "860000000000002", k);
  add(10, "860000000000003", 9);
  add(30, "860000000000003", 9);
  for (int n = 0; n < 10; ++n) {
    Risky(&set, Mobile(10 + n));
    Risky(&set, Mobile(30 + n));
  }
  auto res = FindOperations(set, cfg.investigate.ops);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->operations.size(), 2u);
  EXPECT_EQ(res->operations[0].members.size() + res->operations[1].members.size(), 20u);
  // Connected components would have made one group of all 20.
  EXPECT_NE(FindLink(res->links, set, Mobile(10), Mobile(30)), nullptr);
  // Every member of each gateway is in the same operation.
  int32_t a = res->op_of[set.Find(Mobile(11))], b = res->op_of[set.Find(Mobile(31))];
  EXPECT_NE(a, b);
  for (int n = 1; n < 10; ++n) {
    EXPECT_EQ(res->op_of[set.Find(Mobile(10 + n))], a);
    EXPECT_EQ(res->op_of[set.Find(Mobile(30 + n))], b);
  }
  EXPECT_EQ(res->operations[0].devices.size() + res->operations[1].devices.size(), 4u);
  EXPECT_EQ(res->operations[0].type.empty(), false);
  // Deterministic: the same input gives the same partition and ids.
  auto again = FindOperations(set, cfg.investigate.ops);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->operations[0].id, res->operations[0].id);
  EXPECT_EQ(again->op_of, res->op_of);

  TempDir dir;
  ASSERT_TRUE(WriteOperations(set, *res, dir.path()).ok());
  std::ifstream in(dir.File("membership.csv"));
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "number,operation,confidence,role");
  std::map<std::string, std::string> m;
  ASSERT_TRUE(ReadTwoColumns(dir.File("membership.csv"), &m).ok());
  EXPECT_EQ(m.size(), 20u);
  // A number kept as raw text (it did not parse) may hold a comma or a quote: quoted, read back.
  {
    std::ofstream out(dir.File("quoted.csv"));
    out << "number,operation,confidence,role\r\n\"12,34 \"\"x\"\"\",op-1,0.5,member\r\n";
  }
  m.clear();
  ASSERT_TRUE(ReadTwoColumns(dir.File("quoted.csv"), &m).ok());
  EXPECT_EQ(m, (std::map<std::string, std::string>{{"12,34 \"x\"", "op-1"}}));
}

TEST(OpsEval, BCubedAdjustedRandAndContaminationByHand) {
  Truth t;
  t.operations.push_back({"X", "call_centre", {"a", "b", "c"}, {"v1", "v2"}});
  t.operations.push_back({"Y", "simbox", {"d", "e"}, {"v3"}});
  std::map<std::string, std::string> pred = {{"a", "p1"}, {"b", "p1"}, {"c", "p2"},
                                             {"d", "p2"}, {"e", "p2"}, {"l", "p2"}};
  std::map<std::string, std::string> graded = {{"v1", "critical"}, {"v2", "medium"}, {"x", "high"}};
  OpsEval ev = EvaluateOps(t, pred, &graded);
  EXPECT_EQ(ev.items, 6u);
  EXPECT_NEAR(ev.bcubed_precision, 3.5 / 6, 1e-9);
  EXPECT_NEAR(ev.bcubed_recall, (2.0 / 3 + 2.0 / 3 + 1.0 / 3 + 3) / 6, 1e-9);
  EXPECT_NEAR(ev.ari, (2 - 28.0 / 15) / (5.5 - 28.0 / 15), 1e-9);
  EXPECT_EQ(ev.legit_in_operations, 1u);
  EXPECT_NEAR(ev.contamination, 1.0 / 6, 1e-9);
  EXPECT_EQ(ev.per_truth[0].main_operation, "p1");
  EXPECT_NEAR(ev.per_truth[0].main_share, 2.0 / 3, 1e-9);
  EXPECT_EQ(ev.per_truth[1].main_operation, "p2");
  EXPECT_NEAR(ev.per_truth[1].main_purity, 0.5, 1e-9);
  EXPECT_EQ(ev.true_victims, 3u);
  EXPECT_EQ(ev.flagged_high, 2u);
  EXPECT_EQ(ev.flagged_high_true, 1u);
  EXPECT_NEAR(ev.victim_recall, 1.0 / 3, 1e-9);
  // A perfect partition scores 1.
  std::map<std::string, std::string> perfect = {
      {"a", "X"}, {"b", "X"}, {"c", "X"}, {"d", "Y"}, {"e", "Y"}};
  OpsEval p = EvaluateOps(t, perfect, nullptr);
  EXPECT_DOUBLE_EQ(p.bcubed_f, 1);
  EXPECT_DOUBLE_EQ(p.ari, 1);
}

Contact Touch(const std::string& person, const std::string& scam, const std::string& op,
              int64_t t_s, double dur) {
  Contact c;
  Number n;
  callguard::testing::TestNormaliser().Normalise(person, &n);
  c.person_key = n.key;
  c.person = n.text;
  c.scam_number = scam;
  c.operation = op;
  c.t_ms = t_s * 1000;
  c.answered = dur > 0;
  c.duration_s = dur;
  c.ingress = Ingress::kInternational;
  return c;
}

TEST(Victims, GradesFollowTheRulesAndListTheirReasons) {
  Subscribers subs;
  Number elder;
  callguard::testing::TestNormaliser().Normalise(Mobile(7), &elder);
  Subscriber s;
  s.age = AgeBand::k60plus;
  subs.Put(elder.key, s);
  VictimTracker tr(DefaultGradeRules(), &subs);
  // Elderly person, 200 s with a risky number outside any operation: high.
  const Victim* v = tr.Observe(Touch(Mobile(7), "+8613000000001", "", kDay, 200));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->grade, "high");
  EXPECT_NE(std::find(v->reasons.begin(), v->reasons.end(), "elderly_3m_call"), v->reasons.end());
  EXPECT_TRUE(v->first_contact_foreign);
  // Someone else: 30 s with two operation numbers is not enough...
  EXPECT_EQ(tr.Observe(Touch(Mobile(8), "+8613000000001", "op-1", kDay, 30)), nullptr);
  EXPECT_EQ(tr.Observe(Touch(Mobile(8), "+8613000000002", "op-1", kDay + 60, 30)), nullptr);
  // ...a real conversation with each is (and one of 60 s is medium on the way).
  v = tr.Observe(Touch(Mobile(8), "+8613000000001", "op-1", kDay + 120, 70));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->grade, "medium");
  v = tr.Observe(Touch(Mobile(8), "+8613000000002", "op-1", kDay + 300, 65));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->grade, "high");
  EXPECT_NE(std::find(v->reasons.begin(), v->reasons.end(), "several_operation_numbers"),
            v->reasons.end());
  // Ten minutes with an operation: critical.
  v = tr.Observe(Touch(Mobile(9), "+8613000000003", "op-2", kDay, 660));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->grade, "critical");
  EXPECT_EQ(v->reasons[0], "long_call_with_operation");
  // 15 minutes in 72 h from short calls: high; calls older than 72 h do not count.
  VictimTracker tr2(DefaultGradeRules(), nullptr);
  for (int k = 0; k < 5; ++k)
    tr2.Observe(Touch(Mobile(10), "+8613000000004", "", kDay + k * 86400, 190));
  EXPECT_EQ(tr2.victims().begin()->second.grade, "medium");
  // Day 4 sees the calls of days 1-4 (72 h back, inclusive) but not day 0's.
  EXPECT_NEAR(tr2.victims().begin()->second.connected_72h_s, 760, 1e-9);
  EXPECT_TRUE(tr2.victims().begin()->second.repeat_72h);
}

TEST(Tasks, FatigueDeadlinesFamilyAlertAndEscalation) {
  WarningsConfig w;
  TaskPlanner p(w);
  Victim v;
  v.number = Mobile(7);
  v.grade = "critical";
  v.elderly = true;
  v.main_operation = "op-1";
  v.reasons = {"long_call_with_operation"};
  auto tasks = p.Plan(v, kDay * 1000);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].kind, "voice_call");
  EXPECT_EQ(tasks[0].deadline_ms - tasks[0].created_ms, 600000);
  EXPECT_EQ(tasks[1].kind, "family_alert");
  EXPECT_NE(tasks[0].id, tasks[1].id);
  // The same person and operation within 24 h: nothing more (forgetting old fatigue records
  // keeps the live ones); after 24 h: again.
  p.Expire(kDay * 1000 + 3600000);
  EXPECT_TRUE(p.Plan(v, kDay * 1000 + 3600000).empty());
  EXPECT_EQ(p.suppressed(), 2u);
  EXPECT_EQ(p.Plan(v, kDay * 1000 + 25 * 3600000LL).size(), 2u);
  // Another operation is another warning.
  v.main_operation = "op-2";
  EXPECT_EQ(p.Plan(v, kDay * 1000 + 3600000).size(), 2u);
  // Escalation: not before 30 minutes, not when answered, a home visit otherwise.
  const Task& call = tasks[0];
  EXPECT_TRUE(p.Escalation(call, call.created_ms + 60000, false).id.empty());
  EXPECT_TRUE(p.Escalation(call, call.created_ms + 1900000, true).id.empty());
  Task visit = p.Escalation(call, call.created_ms + 1900000, false);
  EXPECT_EQ(visit.kind, "home_visit");
  EXPECT_EQ(visit.parent, call.id);
  // Medium: a flash SMS; low: nothing.
  v.grade = "medium";
  v.main_operation = "op-3";
  auto sms = p.Plan(v, kDay * 1000);
  ASSERT_EQ(sms.size(), 1u);
  EXPECT_EQ(sms[0].kind, "flash_sms");
  EXPECT_TRUE(sms[0].escalates.empty());
  v.grade = "low";
  v.main_operation = "op-4";
  EXPECT_TRUE(p.Plan(v, kDay * 1000).empty());
}

class Webhook {
 public:
  explicit Webhook(int fail_first, int status = 503) : fail_first_(fail_first), status_(status) {
    srv_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      if (requests_ <= fail_first_) {
        res.status = status_;
        return;
      }
      keys_.push_back(req.get_header_value("Idempotency-Key"));
      auth_ = req.get_header_value("Authorization");
      res.status = 200;
    });
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Webhook() {
    srv_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::string auth() {
    std::lock_guard<std::mutex> lock(mu_);
    return auth_;
  }

 private:
  httplib::Server srv_;
  std::thread thread_;
  int port_ = 0;
  int fail_first_, status_;
  std::mutex mu_;
  int requests_ = 0;
  std::vector<std::string> keys_;
  std::string auth_;
};

std::vector<Task> SomeTasks() {
  std::vector<Task> out;
  for (int i = 0; i < 3; ++i) {
    Task t;
    t.id = "task-" + std::to_string(i);
    t.kind = "voice_call";
    t.person = Mobile(i);
    t.created_ms = kDay * 1000;
    out.push_back(t);
  }
  return out;
}

TEST(Dispatcher, RetriesWithIdempotencyKeysAndNeverSendsTwiceAcrossRestarts) {
  Webhook hook(/*fail_first=*/2);
  TempDir dir;
  WarningsConfig w;
  w.webhook = hook.url();
  w.webhook_backoff_s = 0.01;
  w.tasks_file = dir.File("tasks.jsonl");
  setenv("CG_TEST_HOOK_TOKEN", "s3cret", 1);
  w.webhook_token_env = "CG_TEST_HOOK_TOKEN";
  {
    Dispatcher d(w, dir.File("journal.jsonl"));
    ASSERT_TRUE(d.Start().ok());
    for (const Task& t : SomeTasks()) EXPECT_TRUE(d.Enqueue(t));
    EXPECT_FALSE(d.Enqueue(SomeTasks()[0]));  // already queued
    ASSERT_TRUE(d.Drain(10000));
    EXPECT_EQ(d.stats().sent.load(), 3u);
    EXPECT_EQ(d.stats().retries.load(), 2u);
  }
  EXPECT_EQ(hook.keys(), (std::vector<std::string>{"task-0", "task-1", "task-2"}));
  EXPECT_EQ(hook.auth(), "Bearer s3cret");
  // A restart: the journal says they went out; nothing is sent again.
  {
    Dispatcher d(w, dir.File("journal.jsonl"));
    ASSERT_TRUE(d.Start().ok());
    for (const Task& t : SomeTasks()) EXPECT_FALSE(d.Enqueue(t));
    ASSERT_TRUE(d.Drain(5000));
  }
  EXPECT_EQ(hook.requests(), 5);
  std::ifstream in(dir.File("tasks.jsonl"));
  int lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  EXPECT_EQ(lines, 3);
}

TEST(Dispatcher, PermanentRefusalIsNotRetriedButIsTriedAgainAfterARestart) {
  Webhook hook(/*fail_first=*/1, /*status=*/400);
  TempDir dir;
  WarningsConfig w;
  w.webhook = hook.url();
  w.webhook_backoff_s = 0.01;
  {
    Dispatcher d(w, dir.File("journal.jsonl"));
    ASSERT_TRUE(d.Start().ok());
    d.Enqueue(SomeTasks()[0]);
    ASSERT_TRUE(d.Drain(5000));
    EXPECT_EQ(d.stats().failed.load(), 1u);
    EXPECT_EQ(d.stats().retries.load(), 0u);
  }
  {
    Dispatcher d(w, dir.File("journal.jsonl"));
    ASSERT_TRUE(d.Start().ok());
    EXPECT_TRUE(d.Enqueue(SomeTasks()[0]));
    ASSERT_TRUE(d.Drain(5000));
    EXPECT_EQ(d.stats().sent.load(), 1u);
  }
  EXPECT_EQ(hook.keys(), std::vector<std::string>{"task-0"});
}

TEST(Dispatcher, AnUnreachableWebhookFailsAfterItsAttempts) {
  TempDir dir;
  WarningsConfig w;
  w.webhook = "http://127.0.0.1:9/hook";  // discard port: nothing listens
  w.webhook_attempts = 3;
  w.webhook_backoff_s = 0.01;
  w.webhook_timeout_s = 1;
  Dispatcher d(w, dir.File("journal.jsonl"));
  ASSERT_TRUE(d.Start().ok());
  d.Enqueue(SomeTasks()[0]);
  ASSERT_TRUE(d.Drain(10000));
  EXPECT_EQ(d.stats().failed.load(), 1u);
  EXPECT_EQ(d.stats().retries.load(), 2u);
  EXPECT_FALSE(d.Delivered("task-0"));
}

TEST(Stix, UuidV5MatchesRfc4122) {
  // RFC 4122 appendix / Python's uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com").
  EXPECT_EQ(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

TEST(Stix, PhoneNumberPatternsMatchOnlyTheSimpleComparison) {
  std::string v;
  EXPECT_TRUE(MatchPhoneNumberPattern("[phone-number:value = '+8613800000000']", "value", &v));
  EXPECT_EQ(v, "+8613800000000");
  EXPECT_TRUE(MatchPhoneNumberPattern("[phone-number:value\t=\n'x']", "value", &v));
  EXPECT_EQ(v, "x");
  EXPECT_TRUE(
      MatchPhoneNumberPattern("[phone-number:value='" + std::string(64, '9') + "']", "value", &v));
  EXPECT_FALSE(
      MatchPhoneNumberPattern("[phone-number:value='" + std::string(65, '9') + "']", "value", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern("[phone-number:value = '']", "value", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern("[phone-number:value = '1']", "hmac_sha256", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern("[phone-number:value = '1'] ", "value", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern(" [phone-number:value = '1']", "value", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern("[phone-number:value != '1']", "value", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern("[phone-number:value = '1' OR x:y = '2']", "value", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern("[phone-number:value = 'a'b']", "value", &v));
  EXPECT_FALSE(MatchPhoneNumberPattern("[ipv4-addr:value = '10.0.0.1']", "value", &v));
}

TEST(Sharing, PseudonymsMatchOnlyUnderTheSharedKeyAndExpire) {
  Number n;
  callguard::testing::TestNormaliser().Normalise(Mobile(42), &n);
  PartnerReputation rep;
  rep.hmac_key = "a-key-the-partners-agreed-on";
  rep.pseudonyms[HmacSha256Hex(rep.hmac_key, n.e164)] = {0.4, 5000, "partner B: op-1"};
  const PartnerEntry* e = rep.Match(n, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_DOUBLE_EQ(e->strength, 0.4);
  EXPECT_EQ(rep.Match(n, 6000), nullptr);  // expired
  rep.hmac_key = "another key entirely";
  EXPECT_EQ(rep.Match(n, 1000), nullptr);
  // A number in clear wins when stronger.
  rep.numbers[n.key] = {0.9, 5000, "partner C"};
  EXPECT_EQ(rep.Match(n, 1000)->note, "partner C");
}

TEST(Signing, Ed25519IsDeterministicAndTamperEvident) {
  TempDir dir;
  ASSERT_EQ(
      std::system(("openssl genpkey -algorithm ed25519 -out " + dir.File("k.pem") + " 2>/dev/null")
                      .c_str()),
      0);
  auto key = LoadSigningKey(dir.File("k.pem"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto a = Sign(key->get(), "manifest"), b = Sign(key->get(), "manifest");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto pub = PublicKeyFromText(PublicKeyText(key->get()));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(VerifySignature(pub->get(), "manifest", *a));
  EXPECT_FALSE(VerifySignature(pub->get(), "manifesT", *a));
  EXPECT_EQ(KeyId(pub->get()), KeyId(key->get()));
  // A key of another type is refused with the reason.
  ASSERT_EQ(std::system(("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                         dir.File("ec.pem") + " 2>/dev/null")
                            .c_str()),
            0);
  auto ec = LoadSigningKey(dir.File("ec.pem"));
  ASSERT_FALSE(ec.ok());
  EXPECT_NE(std::string(ec.status().message()).find("Ed25519"), std::string::npos);
}

}  // namespace
}  // namespace callguard::investigate
