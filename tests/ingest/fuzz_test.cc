// Randomised robustness test of the ingest path: mutated call-record files (flipped, inserted
// and deleted bytes, quotes, newlines, NULs, truncation) must never crash, hang or lose a
// valid record: every record is either a call or a reject, and the counts add up. Run under
// the asan preset, this also catches over-reads.
#include <gtest/gtest.h>

#include <random>

#include "ingest/cdr_reader.h"
#include "test_util.h"

namespace callguard {
namespace {

using testing::TempDir;

std::string ValidFile(std::mt19937_64& rng, int rows) {
  std::string s = "call_id,start_time,caller,callee,answered,duration_s,ingress,origin_ip\n";
  for (int i = 0; i < rows; ++i) {
    s += "c" + std::to_string(i) + ",2026-03-02T09:" + std::to_string(10 + i % 50) + ":00Z,+86138" +
         std::to_string(10000000 + rng() % 1000) + ",\"+86 139 " +
         std::to_string(1000 + rng() % 9000) + " 0000\"," + std::to_string(rng() % 2) + "," +
         std::to_string(rng() % 600) + ",voip,10.0.0." + std::to_string(rng() % 255) + "\n";
  }
  return s;
}

std::string Mutate(std::string s, std::mt19937_64& rng) {
  static const char kBytes[] = {'"', ',', '\n', '\r', '\0', '\xff', '\xc3', 'x', '9', '-', ' '};
  int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t at = rng() % s.size();
    switch (rng() % 4) {
      case 0:
        s[at] = kBytes[rng() % sizeof kBytes];
        break;
      case 1:
        s.insert(at, 1, kBytes[rng() % sizeof kBytes]);
        break;
      case 2:
        s.erase(at, 1 + rng() % 5);
        break;
      default:
        s.insert(at, std::string(rng() % 3000, kBytes[rng() % sizeof kBytes]));
    }
  }
  if (rng() % 5 == 0) s.resize(rng() % (s.size() + 1));
  return s;
}

TEST(IngestFuzz, MutatedFilesNeverCrashAndEveryRecordIsAccounted) {
  std::mt19937_64 rng(20261128);
  TempDir dir;
  Config cfg = ParseConfig("version: 1\ningest: {max_record_bytes: 1024}\n", "").value();
  for (int round = 0; round < 300; ++round) {
    std::string path = dir.Write("f.csv", Mutate(ValidFile(rng, 40), rng));
    auto r = CdrReader::Open(path, CdrFormat::kAuto, cfg, &testing::TestNormaliser());
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());  // a header too broken to read: said so
      continue;
    }
    Call c;
    Rejected rej;
    uint64_t calls = 0, rejected = 0;
    for (;;) {
      auto o = (*r)->Next(&c, &rej);
      if (o == CdrReader::Outcome::kEnd) break;
      if (o == CdrReader::Outcome::kCall) {
        ++calls;
        EXPECT_FALSE(c.call_id.empty());
      } else {
        ++rejected;
        EXPECT_FALSE(rej.code.empty());
        EXPECT_FALSE(rej.message.empty());
        EXPECT_GT(rej.line, 1u);
      }
    }
    EXPECT_EQ(calls, (*r)->stats().accepted);
    EXPECT_EQ(rejected, (*r)->stats().rejected);
    EXPECT_EQ(calls + rejected, (*r)->stats().records);
  }
}

TEST(IngestFuzz, JsonLinesToo) {
  std::mt19937_64 rng(7);
  TempDir dir;
  Config cfg = ParseConfig("version: 1\n", "").value();
  std::string base;
  for (int i = 0; i < 30; ++i)
    base += "{\"call_id\":\"j" + std::to_string(i) +
            "\",\"start_time\":\"2026-03-02T09:15:04Z\",\"caller\":\"+8613800138000\","
            "\"callee\":\"13900139000\",\"answered\":true,\"duration_s\":12}\n";
  for (int round = 0; round < 200; ++round) {
    std::string path = dir.Write("f.jsonl", Mutate(base, rng));
    auto r = CdrReader::Open(path, CdrFormat::kJsonl, cfg, &testing::TestNormaliser());
    ASSERT_TRUE(r.ok());
    Call c;
    Rejected rej;
    uint64_t n = 0;
    while ((*r)->Next(&c, &rej) != CdrReader::Outcome::kEnd) ++n;
    EXPECT_EQ(n, (*r)->stats().records);
  }
}

}  // namespace
}  // namespace callguard
