#include "detectors/identity/identity.h"

#include "detector_test_util.h"

namespace callguard {
namespace {

using namespace testing;  // NOLINT
using S = std::set<std::string>;
const char* kT = "2026-03-02T09:15:04Z";

Call With(Call c, Ingress ing, const std::string& country = "") {
  c.ingress = ing;
  c.origin_country = country;
  return c;
}

TEST(Identity, OrdinaryDomesticCallsAreClean) {
  auto e = EngineFor(Only("identity"));
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+8613800138000", "+8613912345678")), S{});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "+85512345678", "+8613912345678"), Ingress::kInternational,
                           "KH")),
            S{});  // a foreign number from abroad is what it says
}

TEST(Identity, DomesticNumberFromAbroad) {
  auto e = EngineFor(Only("identity"));
  EXPECT_EQ(
      Codes(*e, With(MakeCall(kT, "+8613800138000", "+8613912345678"), Ingress::kInternational)),
      S{"intl_ingress_domestic_cli"});
  EXPECT_NE(Detail(*e, "intl_ingress_domestic_cli").find("mobile"), std::string::npos);
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "+8613800138000", "+8613912345678"), Ingress::kVoip, "KH")),
            S{"foreign_origin_domestic_cli"});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "+8613800138000", "+8613912345678"), Ingress::kVoip)),
            S{"voip_ingress_domestic_mobile_cli"});
  Call attested = With(MakeCall(kT, "+8613800138000", "+8613912345678"), Ingress::kVoip);
  attested.attestation = Attestation::kA;
  EXPECT_EQ(Codes(*e, attested), S{});
  // A fixed line on VoIP (a business PBX) is normal.
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "+861065521234", "+8613912345678"), Ingress::kVoip)), S{});
}

TEST(Identity, ImpossibleNumbers) {
  auto e = EngineFor(Only("identity"));
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+861380013", "+8613912345678")), S{"invalid_cli"});
  EXPECT_EQ(Codes(*e, MakeCall(kT, "POLICE", "+8613912345678")), S{"unparsable_cli"});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "anonymous", "+8613912345678"), Ingress::kInternational)),
            S{"withheld_intl"});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "anonymous", "+8613912345678"), Ingress::kMobile)), S{});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "12315", "+8613912345678"), Ingress::kInternational)),
            S{"short_code_cli_foreign_route"});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "12315", "+8613912345678"), Ingress::kFixed)), S{});
}

TEST(Identity, AnInvalidCalleeIsKeptWithAReasonThatWeighsNothing) {
  auto e = EngineFor(Only("identity"));
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+8613800138000", "+861380013")), S{"callee_not_valid"});
  EXPECT_EQ(e->decision().score, 0);
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+8613800138000", "lobby phone")), S{"callee_not_valid"});
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+8613800138000", "110")), S{});  // a short code is valid
}

TEST(Identity, DoNotOriginateNumbersNeverCall) {
  TempDir d;
  d.Write("dno.txt", "# inbound-only\n+8610123456*\n01087654321\n");
  auto e = EngineFor(Only("identity", "{dno_files: [dno.txt]}"), d.path());
  EXPECT_EQ(Codes(*e, MakeCall(kT, "110", "+8613912345678")), S{"dno_cli"});  // built-in
  EXPECT_EQ(Codes(*e, MakeCall(kT, "120", "+8613912345678")), S{"dno_cli"});
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+861012345678", "+8613912345678")), S{"dno_cli"});  // prefix
  EXPECT_EQ(Codes(*e, MakeCall(kT, "010 8765 4321", "+8613912345678")), S{"dno_cli"});
  EXPECT_EQ(Codes(*e, MakeCall(kT, "010 8765 4322", "+8613912345678")), S{});
  // An exact built-in entry does not swallow longer numbers that start with it.
  EXPECT_EQ(Codes(*e, MakeCall(kT, "+8611012345678", "+8613912345678")).count("dno_cli"), 0u);
}

TEST(Identity, ProtectedIdentitiesOnlyOnTheirOwnRoutes) {
  TempDir d;
  d.Write("protected.csv",
          "number,routes,name\n"
          "95588,fixed|interconnect,ICBC customer service\n"
          "96110,fixed|mobile|interconnect,anti-fraud warning line\n"
          "12345,trunk:gov-1,government hotline\n");
  auto e = EngineFor(Only("identity", "{protected_files: [protected.csv]}"), d.path());
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "95588", "+8613912345678"), Ingress::kFixed)), S{});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "95588", "+8613912345678"), Ingress::kInternational)),
            S{"protected_cli_foreign_route"});
  EXPECT_NE(Detail(*e, "protected_cli_foreign_route").find("ICBC"), std::string::npos);
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "95588", "+8613912345678"), Ingress::kVoip)),
            S{"protected_cli_unexpected_route"});
  Call gov = With(MakeCall(kT, "12345", "+8613912345678"), Ingress::kFixed);
  EXPECT_EQ(Codes(*e, gov), S{"protected_cli_unexpected_route"});
  gov.trunk = "gov-1";
  EXPECT_EQ(Codes(*e, gov), S{});
}

TEST(Identity, NeighbourSpoofing) {
  auto e = EngineFor(Only("identity"));
  EXPECT_EQ(
      Codes(*e, With(MakeCall(kT, "+8613912340000", "+8613912345678"), Ingress::kInterconnect)),
      S{"neighbour_spoof"});
  EXPECT_EQ(Codes(*e, With(MakeCall(kT, "+8613912340000", "+8613912345678"), Ingress::kMobile)),
            S{});  // a real neighbour on the mobile network
  EXPECT_EQ(
      Codes(*e, With(MakeCall(kT, "+8613800000000", "+8613912345678"), Ingress::kInterconnect)),
      S{});
}

TEST(Identity, BadListFileSaysWhere) {
  TempDir d;
  d.Write("dno.txt", "110\nnot-a-number\n");
  auto cfg = ParseConfig("version: 1\ndetectors: {identity: {dno_files: [dno.txt]}}\n", d.path());
  auto e = Engine::Create(cfg.value(), nullptr);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("dno.txt:2"), std::string::npos);
}

}  // namespace
}  // namespace callguard
