#include "detectors/lists/lists.h"

#include "detector_test_util.h"

namespace callguard {
namespace {

using namespace testing;  // NOLINT
using S = std::set<std::string>;
const char* kT = "2026-03-02T09:15:04Z";

Call From(const std::string& caller, const std::string& trunk = "", const std::string& ip = "",
          const std::string& country = "", const char* when = kT) {
  Call c = MakeCall(when, caller, "+8613912345678");
  c.trunk = trunk;
  if (!ip.empty()) ParseIp(ip, &c.origin_ip);
  c.origin_country = country;
  return c;
}

class ListsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("lists.csv",
               "type,value,list,expires,note\n"
               "# comments and a header are allowed\n"
               "number,+8613800000001,block,,confirmed by analyst\n"
               "prefix,+855,block,,Cambodia\n"
               "number,+85512345678,allow,,partner bank\n"
               "trunk,gw-scam,block,,\n"
               "cidr,103.20.0.0/16,block,,call centre block\n"
               "cidr,2001:db8::/32,block,,\n"
               "country,PH,block,2026-03-02T09:00:00Z,expired already\n"
               "country,ID,block,2026-03-03,\n"
               "number,13800000009,allow,,national format\n");
    e_ = EngineFor(Only("lists", "{files: [lists.csv]}"), dir_.path());
  }
  TempDir dir_;
  std::unique_ptr<Engine> e_;
};

TEST_F(ListsTest, EachKindOfEntry) {
  EXPECT_EQ(Codes(*e_, From("+8613800000001")), S{"blocklist_number"});
  EXPECT_EQ(e_->decision().action, Action::kBlock);
  EXPECT_NE(Detail(*e_, "blocklist_number").find("confirmed by analyst"), std::string::npos);
  EXPECT_NE(Detail(*e_, "blocklist_number").find("lists.csv:3"), std::string::npos);
  EXPECT_EQ(Codes(*e_, From("+85599999999")), S{"blocklist_prefix"});
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "gw-scam")), S{"blocklist_trunk"});
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "", "103.20.7.9")), S{"blocklist_origin_ip"});
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "", "103.21.7.9")), S{});
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "", "2001:db8:1::5")), S{"blocklist_origin_ip"});
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "", "", "ID")), S{"blocklist_origin_country"});
  EXPECT_EQ(Codes(*e_, From("+8613800000009")), S{"allowlist_number"});
  EXPECT_EQ(Codes(*e_, From("+8613800000002")), S{});
}

TEST_F(ListsTest, MostSpecificEntryWins) {
  // A partner number inside a blocked prefix stays allowed.
  EXPECT_EQ(Codes(*e_, From("+85512345678")), S{"allowlist_number"});
  EXPECT_EQ(e_->decision().action, Action::kAllow);
}

TEST_F(ListsTest, ExpiryIsJudgedAtTheCallsTime) {
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "", "", "PH")), S{});  // expired 09:00
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "", "", "PH", "2026-03-02T08:59:00Z")),
            S{"blocklist_origin_country"});
  EXPECT_EQ(Codes(*e_, From("+8613800000002", "", "", "ID", "2026-03-03T00:00:01Z")), S{});
}

TEST_F(ListsTest, ReloadSwapsWholeListsOrKeepsTheOld) {
  dir_.Write("lists.csv", "number,+8613800000002,block,,new entry\n");
  ASSERT_TRUE(e_->Reload().ok());
  EXPECT_EQ(Codes(*e_, From("+8613800000002")), S{"blocklist_number"});
  EXPECT_EQ(Codes(*e_, From("+8613800000001")), S{});
  dir_.Write("lists.csv", "number,+8613800000003,block\nbogus,1,block\n");
  Status s = e_->Reload();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("lists.csv:2"), std::string::npos);
  EXPECT_NE(s.message().find("unknown entry type 'bogus'"), std::string::npos);
  EXPECT_EQ(Codes(*e_, From("+8613800000002")), S{"blocklist_number"});  // old lists kept
  EXPECT_EQ(Codes(*e_, From("+8613800000003")), S{});
}

TEST(Lists, RegisteredCallersAreProtectedButNotFromBlockLists) {
  TempDir d;
  d.Write("lists.csv", "number,+8613500000002,block,,\n");
  d.Write("subs.csv",
          "number,line_type,registered_name,age_band,vulnerable,activation_date\n"
          "+8613500000001,enterprise,SF Express,,,2020-01-01\n"
          "+8613500000002,enterprise,Hijacked Ltd,,,\n"
          "+8613700000000,consumer,,60+,1,\n");
  SubscriberLoadStats st;
  auto subs = Subscribers::Load(d.File("subs.csv"), &TestNormaliser(), &st);
  ASSERT_TRUE(subs.ok()) << subs.status().ToString();
  EXPECT_EQ(st.loaded, 3u);
  auto shared = std::make_shared<Subscribers>(std::move(subs.value()));
  EXPECT_EQ(shared->Find(PackE164("8613700000000"))->age, AgeBand::k60plus);
  EXPECT_TRUE(shared->Find(PackE164("8613700000000"))->vulnerable);

  auto e = EngineFor("detectors: {lists: {files: [lists.csv]}}\n", d.path(), shared);
  Call c = MakeCall(kT, "+8613500000001", "+8613912345678");
  c.ingress = Ingress::kInternational;  // would be a warn: intl_ingress_domestic_cli
  auto codes = Codes(*e, c);
  EXPECT_TRUE(codes.count("registered_caller"));
  EXPECT_TRUE(codes.count("intl_ingress_domestic_cli"));
  EXPECT_LE(e->decision().action, Action::kLabel);
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+8613500000002", "+8613912345678")), S{"blocklist_number"});
  EXPECT_EQ(e->decision().action, Action::kBlock);
}

TEST(Lists, BadSubscriberRowsAreCountedNotFatal) {
  TempDir d;
  d.Write("subs.csv",
          "number,age_band\n+8613700000000,60+\nnot a number,18-39\n+8613700000001,old\n");
  SubscriberLoadStats st;
  auto subs = Subscribers::Load(d.File("subs.csv"), &TestNormaliser(), &st);
  ASSERT_TRUE(subs.ok());
  EXPECT_EQ(st.loaded, 1u);
  EXPECT_EQ(st.rejected, 2u);
  EXPECT_NE(st.first_error.find("subs.csv:3"), std::string::npos);
  d.Write("nonum.csv", "phone\n1\n");
  EXPECT_FALSE(Subscribers::Load(d.File("nonum.csv"), &TestNormaliser(), &st).ok());
}

}  // namespace
}  // namespace callguard
