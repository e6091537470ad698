// The shaken detector: verification outcomes and attestation as evidence.
#include <gtest/gtest.h>

#include "detectors/detector_test_util.h"

namespace callguard {
namespace {

using testing::MakeCall;
using S = std::set<std::string>;
constexpr const char* kT = "2026-03-02T10:00:00+08:00";

Call Live(Ingress ingress, ShakenStatus s, Attestation a = Attestation::kNone,
          const char* caller = "+8613800138000") {
  Call c = MakeCall(kT, caller, "+8613912345678");
  c.ingress = ingress;
  c.shaken = s;
  c.attestation = a;
  return c;
}

TEST(Shaken, VerificationOutcomesAndAttestation) {
  auto e = testing::EngineFor(testing::Only("shaken"));
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kVoip, ShakenStatus::kFailed)),
            S{"shaken_verification_failed"});
  // Unsigned domestic number: evidence only on a route where calls are signed.
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kVoip, ShakenStatus::kNone)),
            S{"unsigned_domestic_cli"});
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kMobile, ShakenStatus::kNone)), S{});
  EXPECT_EQ(testing::Codes(
                *e, Live(Ingress::kVoip, ShakenStatus::kNone, Attestation::kNone, "+85512345678")),
            S{});
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kVoip, ShakenStatus::kPassed, Attestation::kA)),
            S{"attest_a_verified"});
  EXPECT_EQ(
      testing::Codes(*e, Live(Ingress::kInternational, ShakenStatus::kPassed, Attestation::kC)),
      S{"attest_c_domestic_cli"});
  // Batch records: only the attestation is known.
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kVoip, ShakenStatus::kUnknown, Attestation::kA)),
            S{"attest_a_verified"});
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kVoip, ShakenStatus::kUnknown)), S{});
}

TEST(Shaken, SigningRoutesAreConfigurable) {
  auto e = testing::EngineFor(testing::Only("shaken", "{signing_routes: [mobile]}"));
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kMobile, ShakenStatus::kNone)),
            S{"unsigned_domestic_cli"});
  EXPECT_EQ(testing::Codes(*e, Live(Ingress::kVoip, ShakenStatus::kNone)), S{});
  auto bad = ParseConfig("version: 1\ndetectors:\n  shaken: {signing_routes: [pigeon]}\n", "");
  ASSERT_TRUE(bad.ok());
  auto eng = Engine::Create(bad.value(), nullptr);
  ASSERT_FALSE(eng.ok());
  EXPECT_NE(std::string(eng.status().message()).find("detectors.shaken.signing_routes"),
            std::string::npos);
}

}  // namespace
}  // namespace callguard
