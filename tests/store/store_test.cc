// The same store tests against both backends: SQLite (a temporary file) in the unit suite, and
// PostgreSQL at CALLGUARD_TEST_PG_URL (tests/integration/store_pg_test.sh starts a real one).
#include "store/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

namespace callguard::store {
namespace {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      const char* url = std::getenv("CALLGUARD_TEST_PG_URL");
      ASSERT_TRUE(url && *url) << "CALLGUARD_TEST_PG_URL must name a PostgreSQL server";
      url_ = url;
      // A fresh schema each test: drop everything the migrations made.
      auto s = Store::Open(url_, 1);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      s.value().reset();
      auto db = OpenPostgres(url_);
      ASSERT_TRUE(db.ok());
      ASSERT_TRUE(db.value()
                      ->Script("DROP TABLE IF EXISTS list_entries, reports, feedback, appeals, "
                               "verdicts, tokens, access_log, cases, case_links, enforcement_log, "
                               "victim_tasks, partner_indicators, schema_migrations CASCADE")
                      .ok());
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("cg-store-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "callguard.db").string();
    }
    auto s = Store::Open(url_, 3);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s.value());
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string url_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, MigratesOnceAndReopens) {
  EXPECT_EQ(store_->backend(), GetParam());
  EXPECT_EQ(store_->schema_version(), static_cast<int>(Migrations(GetParam()).size()));
  ListRecord e{.kind = "block",
               .type = "number",
               .value = "+8613800000001",
               .source = "api",
               .created_by = "t1",
               .created_ms = 1000};
  ASSERT_TRUE(store_->AddListEntry(e).ok());
  store_.reset();
  auto again = Store::Open(url_, 1);  // migrations already applied: nothing re-run, data kept
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto live = again.value()->LiveListEntries();
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].value, "+8613800000001");
}

TEST_P(StoreTest, ListEntriesExpireAndAreRemovedNotDeleted) {
  ListRecord a{.kind = "block",
               .type = "number",
               .value = "+8613800000001",
               .note = "gang",
               .source = "api",
               .created_by = "t1",
               .created_ms = 1000,
               .expires_ms = 5000};
  ListRecord b{.kind = "allow",
               .type = "prefix",
               .value = "+86955",
               .source = "api",
               .created_by = "t1",
               .created_ms = 1000};
  auto ra = store_->AddListEntry(a);
  auto rb = store_->AddListEntry(b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_NE(ra->id, rb->id);
  auto at2 = store_->ListEntries({.now_ms = 2000});
  ASSERT_TRUE(at2.ok());
  EXPECT_EQ(at2->size(), 2u);
  auto at6 = store_->ListEntries({.now_ms = 6000});  // a expired
  ASSERT_EQ(at6->size(), 1u);
  EXPECT_EQ((*at6)[0].kind, "allow");
  auto blocks = store_->ListEntries({.kind = "block", .now_ms = 2000});
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].note, "gang");
  EXPECT_EQ((*blocks)[0].expires_ms, 5000);

  auto rm = store_->RemoveListEntry(rb->id, "t2", 3000);
  ASSERT_TRUE(rm.ok());
  EXPECT_TRUE(rm.value());
  EXPECT_FALSE(store_->RemoveListEntry(rb->id, "t2", 3000).value());  // already removed
  EXPECT_FALSE(store_->RemoveListEntry(9999, "t2", 3000).value());
  auto all = store_->ListEntries({.include_inactive = true, .now_ms = 6000});
  ASSERT_EQ(all->size(), 2u);  // history kept
  for (auto& e : *all)
    if (e.id == rb->id) {
      EXPECT_EQ(e.removed_ms, 3000);
      EXPECT_EQ(e.removed_by, "t2");
    }
}

TEST_P(StoreTest, InjectionShapedTextIsJustText) {
  std::string evil = "'); DROP TABLE list_entries; --";
  ListRecord a{.kind = "block",
               .type = "trunk",
               .value = evil,
               .note = "x' OR '1'='1",
               .source = "api",
               .created_by = "t1",
               .created_ms = 1};
  ASSERT_TRUE(store_->AddListEntry(a).ok());
  auto got = store_->ListEntries({.value = evil, .now_ms = 2});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].note, "x' OR '1'='1");
  auto none = store_->ListEntries({.value = "x' OR '1'='1", .now_ms = 2});
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreTest, ReportsCountDistinctReporters) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(store_
                    ->AddReport({.number = "+85512345678",
                                 .reporter = "+8613800000009",
                                 .category = "impersonation",
                                 .created_ms = 1000 + i})
                    .ok());
  ASSERT_TRUE(store_
                  ->AddReport({.number = "+85512345678",
                               .reporter = "",
                               .category = "impersonation",
                               .description = "said he was police",
                               .call_time_ms = 900,
                               .created_ms = 2000})
                  .ok());
  EXPECT_EQ(store_->CountReporters("+85512345678", 0).value(), 2);
  EXPECT_EQ(store_->CountReporters("+85512345678", 1500).value(), 1);
  auto r = store_->ReportsFor("+85512345678", 10);
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].description, "said he was police");
  EXPECT_EQ((*r)[0].call_time_ms, 900);
  EXPECT_TRUE(store_->ReportsFor("+1", 10)->empty());
}

TEST_P(StoreTest, FeedbackConfirmAndClearMoveListEntries) {
  const std::string n = "+8613800000002";
  ListRecord block{.kind = "block",
                   .type = "number",
                   .value = n,
                   .source = "feedback",
                   .created_by = "an1",
                   .created_ms = 100};
  auto f = store_->ApplyFeedback(
      {.number = n, .verdict = "scam", .analyst = "an1", .created_ms = 100}, block);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_GT(f->id, 0);
  auto live = store_->ListEntries({.value = n, .now_ms = 200});
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].kind, "block");

  ListRecord allow{.kind = "allow",
                   .type = "number",
                   .value = n,
                   .source = "feedback",
                   .created_by = "an2",
                   .created_ms = 300};
  ASSERT_TRUE(store_
                  ->ApplyFeedback({.number = n,
                                   .verdict = "clear",
                                   .note = "courier",
                                   .analyst = "an2",
                                   .created_ms = 300},
                                  allow)
                  .ok());
  live = store_->ListEntries({.value = n, .now_ms = 400});
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].kind, "allow");
  auto fb = store_->FeedbackFor(n, 10);
  ASSERT_EQ(fb->size(), 2u);
  EXPECT_EQ((*fb)[0].verdict, "clear");
  EXPECT_EQ((*fb)[0].note, "courier");

  // A bad verdict is refused by the schema and leaves nothing behind (one transaction).
  auto bad = store_->ApplyFeedback(
      {.number = n, .verdict = "maybe", .analyst = "an2", .created_ms = 500}, block);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(store_->FeedbackFor(n, 10)->size(), 2u);
  EXPECT_EQ(store_->ListEntries({.value = n, .now_ms = 600})->size(), 1u);
}

TEST_P(StoreTest, AppealLifecycle) {
  const std::string n = "+8613800000003";
  ASSERT_TRUE(store_
                  ->AddListEntry({.kind = "block",
                                  .type = "number",
                                  .value = n,
                                  .source = "api",
                                  .created_by = "t",
                                  .created_ms = 1})
                  .ok());
  auto a = store_->AddAppeal({.number = n,
                              .contact = "clinic@example.org",
                              .reason = "we are a clinic",
                              .created_ms = 10});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->id.rfind("ap_", 0), 0u);
  EXPECT_GE(a->id.size(), 16u);
  auto got = store_->GetAppeal(a->id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, "open");
  EXPECT_FALSE(store_->GetAppeal("ap_nope")->has_value());
  EXPECT_EQ(store_->Appeals("open", "", 10)->size(), 1u);

  ListRecord allow{.kind = "allow",
                   .type = "number",
                   .value = n,
                   .source = "appeal:" + a->id,
                   .created_by = "an1",
                   .created_ms = 20};
  auto d = store_->DecideAppeal(a->id, "cleared", "an1", "verified clinic", 20, &allow);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, "cleared");
  EXPECT_EQ(d->decided_ms, 20);
  auto live = store_->ListEntries({.value = n, .now_ms = 30});
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].kind, "allow");
  // Deciding twice is refused; an unknown appeal is not found.
  auto again = store_->DecideAppeal(a->id, "upheld", "an2", "", 40, nullptr);
  EXPECT_EQ(again.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->DecideAppeal("ap_x", "upheld", "an2", "", 40, nullptr).status().code(),
            Status::Code::kNotFound);
  EXPECT_TRUE(store_->Appeals("open", "", 10)->empty());
  EXPECT_EQ(store_->Appeals("", n, 10)->size(), 1u);
}

TEST_P(StoreTest, VerdictTrailWithRetention) {
  std::vector<VerdictRecord> v;
  for (int i = 0; i < 50; ++i)
    v.push_back({.time_ms = 1000 + i,
                 .call_id = "c" + std::to_string(i),
                 .caller = i % 2 ? "+85511111111" : "+85522222222",
                 .callee = "+8613800000004",
                 .action = "block",
                 .score = 0.91,
                 .json = "{\"call_id\":\"c" + std::to_string(i) + "\"}"});
  ASSERT_TRUE(store_->AddVerdicts(v).ok());
  EXPECT_EQ(store_->CountVerdicts().value(), 50);
  auto latest = store_->VerdictsFor("+85511111111", 5);
  ASSERT_EQ(latest->size(), 5u);
  EXPECT_EQ((*latest)[0].call_id, "c49");
  EXPECT_DOUBLE_EQ((*latest)[0].score, 0.91);
  EXPECT_EQ((*latest)[0].json, "{\"call_id\":\"c49\"}");
  EXPECT_EQ(store_->PurgeVerdicts(1010).value(), 10);
  EXPECT_EQ(store_->CountVerdicts().value(), 40);
}

TEST_P(StoreTest, TokensStoredByHashAndRevoked) {
  std::string token = RandomId("cg_", 32);
  std::string hash = Sha256Hex(token);
  EXPECT_EQ(hash.size(), 64u);
  ASSERT_TRUE(
      store_->AddToken({.id = "tok_1", .role = "analyst", .name = "alice", .created_ms = 5}, hash)
          .ok());
  EXPECT_FALSE(store_->AddToken({.id = "tok_2", .role = "root", .created_ms = 5},
                                Sha256Hex("other"))
                   .ok());  // unknown role refused by the schema
  auto t = store_->FindToken(hash);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->role, "analyst");
  EXPECT_FALSE((*t)->revoked_ms.has_value());
  EXPECT_FALSE(store_->FindToken(Sha256Hex(token + "x"))->has_value());
  EXPECT_TRUE(store_->RevokeToken("tok_1", 9).value());
  EXPECT_FALSE(store_->RevokeToken("tok_1", 9).value());
  EXPECT_EQ((*store_->FindToken(hash))->revoked_ms, 9);
  ASSERT_EQ(store_->Tokens()->size(), 1u);
}

TEST_P(StoreTest, AccessLogAndConcurrentWriters) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([this, t] {
      for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(store_
                        ->AddAccess({{.time_ms = 100 + i,
                                      .actor = "tok_" + std::to_string(t),
                                      .role = "analyst",
                                      .action = "GET /v1/numbers/{number}",
                                      .target = "+8613800000005",
                                      .source_ip = "127.0.0.1",
                                      .status = 200}})
                        .ok());
    });
  for (auto& th : threads) th.join();
  auto log = store_->AccessLog("+8613800000005", 1000);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 200u);
  EXPECT_EQ((*log)[0].time_ms, 149);
  EXPECT_EQ(store_->PurgeAccess(110).value(), 40);
}

// The unit suite runs the SQLite backend; the same tests are built again with
// CALLGUARD_STORE_PG into callguard_store_pg_tests, which store_pg_test.sh runs against a real
// PostgreSQL server.
#ifdef CALLGUARD_STORE_PG
TEST_P(StoreTest, AccessEntriesWithAKeyAreWrittenOnce) {
  AccessRecord a{.time_ms = 5,
                 .actor = "tok_a",
                 .role = "analyst",
                 .action = "GET",
                 .target = "+8613800000006",
                 .source_ip = "127.0.0.1",
                 .status = 200,
                 .key = "7:0"};
  ASSERT_TRUE(store_->AddAccess({a}).ok());
  ASSERT_TRUE(store_->AddAccess({a}).ok());  // a replay after a crash: ignored
  a.key = "7:120";
  ASSERT_TRUE(store_->AddAccess({a}).ok());
  EXPECT_EQ(store_->AccessLog("+8613800000006", 10)->size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("postgresql"),
                         [](const auto& info) { return info.param; });
#else
INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });
#endif

TEST_P(StoreTest, CasesKeepLinksNotesAndAnEnforcementLog) {
  CaseRecord c{
      .title = "Siem Reap call centre", .created_by = "t1", .created_ms = 1000, .updated_ms = 1000};
  c.links = {{0, "operation", "op-1", "t1", 1000}, {0, "number", "+8613800000001", "t1", 1000}};
  auto added = store_->AddCase(c);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->id.rfind("case_", 0), 0u);
  EXPECT_EQ(added->links.size(), 2u);
  // Links already there are skipped.
  auto more = store_->AddCaseLinks(added->id, {{0, "number", "+8613800000001", "t2", 2000},
                                               {0, "number", "+8613800000002", "t2", 2000}});
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_EQ(*more, 1);
  auto e = store_->AddEnforcement(
      added->id,
      {0, "arrest", 1500, "Siem Reap", "Cambodian National Police",
       R"({"arrested":{"total":225,"by_nationality":{"CN":225},"by_sex":{"male":200,"female":25}}})",
       "t1", 3000});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto up = store_->UpdateCase(added->id, std::string("referred"), std::nullopt, 4000);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->status, "referred");
  EXPECT_EQ(up->updated_ms, 4000);
  EXPECT_EQ(up->links.size(), 3u);
  ASSERT_EQ(up->enforcement.size(), 1u);
  EXPECT_EQ(up->enforcement[0].place, "Siem Reap");
  // A bad status is refused by the schema; an unknown case is NotFound.
  EXPECT_FALSE(store_->UpdateCase(added->id, std::string("won"), std::nullopt, 5000).ok());
  EXPECT_EQ(store_->UpdateCase("case_nope", std::nullopt, std::string("x"), 5000).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(store_->AddEnforcement("case_nope", {}).status().code(), Status::Code::kNotFound);
  auto list = store_->Cases("referred", 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].title, "Siem Reap call centre");
}

TEST_P(StoreTest, VictimTasksAreIdempotentAndMoveForwardOnly) {
  VictimTaskRecord t{.id = "t-1",
                     .person = "+8613900000001",
                     .operation = "op-1",
                     .grade = "high",
                     .kind = "voice_call",
                     .reasons = "elderly_3m_call",
                     .created_ms = 1000,
                     .deadline_ms = 1000 + 1800000};
  auto a = store_->AddVictimTask(t);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(*a);
  EXPECT_FALSE(*store_->AddVictimTask(t));  // the same id again: nothing
  auto due = store_->DueEscalations(1000 + 1800001, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  ASSERT_TRUE(store_->MarkEscalated("t-1").ok());
  EXPECT_TRUE(store_->DueEscalations(1000 + 1800001, 10)->empty());
  auto ack = store_->UpdateVictimTask("t-1", "acknowledged", "", "", "analyst", 2000);
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_FALSE(store_->UpdateVictimTask("t-1", "acknowledged", "", "", "analyst", 2100).ok());
  auto done =
      store_->UpdateVictimTask("t-1", "done", "prevented", "stopped a transfer", "analyst", 3000);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->outcome, "prevented");
  EXPECT_FALSE(store_->UpdateVictimTask("t-1", "done", "paid", "", "analyst", 4000).ok());
  EXPECT_EQ(store_->UpdateVictimTask("t-9", "done", "x", "", "a", 1).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(store_->VictimTasks("done", 10)->size(), 1u);
  EXPECT_TRUE(store_->VictimTasks("open", 10)->empty());
}

TEST_P(StoreTest, PartnerIndicatorsReplaceTheSamePartnersEntryAndExpire) {
  PartnerIndicator p{
      0,     "number", "+8613800000009", "Operator B", "campaign X", "indicator--1", 0.9, 0.5,
      10000, 1000};
  ASSERT_TRUE(store_->AddPartnerIndicators({p}).ok());
  p.confidence = 0.7;
  p.valid_until_ms = 20000;
  PartnerIndicator h{0,    "hmac", std::string(64, 'a'), "Operator B", "", "indicator--2", 0.8, 0.5,
                     5000, 1000};
  ASSERT_TRUE(store_->AddPartnerIndicators({p, h}).ok());
  auto live = store_->LivePartnerIndicators(6000);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  ASSERT_EQ(live->size(), 1u);
  EXPECT_DOUBLE_EQ((*live)[0].confidence, 0.7);
  EXPECT_EQ(store_->LivePartnerIndicators(0)->size(), 2u);
}

TEST(StoreOpen, BadLocationsSayWhere) {
  auto s = Store::Open("sqlite:/nonexistent-dir/x/callguard.db", 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().ToString().find("/nonexistent-dir/x/callguard.db"), std::string::npos);
  auto p = Store::Open("postgresql://127.0.0.1:1/none?connect_timeout=2", 1);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().ToString().find("PostgreSQL"), std::string::npos);
}

}  // namespace
}  // namespace callguard::store
