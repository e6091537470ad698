#include "ingest/cdr_reader.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace callguard {
namespace {

using testing::TempDir;

struct ReadResult {
  std::vector<Call> calls;
  std::vector<Rejected> rejects;  // raw cleared (views die with the reader)
  ReaderStats stats;
  std::vector<std::string> unknown;
  CdrFormat format;
};

ReadResult ReadFile(const std::string& path, CdrFormat fmt = CdrFormat::kAuto) {
  static Config cfg = ParseConfig("version: 1\ningest: {max_field_bytes: 64}\n", "").value();
  auto r = CdrReader::Open(path, fmt, cfg, &testing::TestNormaliser());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  ReadResult out;
  if (!r.ok()) return out;
  Call c;
  Rejected rej;
  for (;;) {
    auto o = (*r)->Next(&c, &rej);
    if (o == CdrReader::Outcome::kEnd) break;
    if (o == CdrReader::Outcome::kCall) {
      out.calls.push_back(c);
    } else {
      rej.raw = {};
      out.rejects.push_back(rej);
    }
  }
  out.stats = (*r)->stats();
  out.unknown = (*r)->unknown_columns();
  out.format = (*r)->format();
  return out;
}

TEST(CdrReader, CanonicalCsvWithAllFields) {
  TempDir d;
  auto p = d.Write("calls.csv",
                   "operation,callee,caller,start_time,answered,duration_s,ring_s,ingress,trunk,"
                   "origin_country,origin_ip,attestation,imei,cell,label,call_id,extra,origid\n"
                   "op1,13900139000,+8613800138000,2026-03-02T17:15:04+08:00,true,61.5,4,"
                   "international,gw-7,kh,103.20.1.9,C,35-209900-176148-1,cell-9,scam,c-1,zzz,"
                   " 8f3c-origin \n"
                   ",13900139000,13800138000,1772442905,0,0,,,,,,,,,,,,\n");
  ReadResult r = ReadFile(p);
  EXPECT_EQ(r.format, CdrFormat::kCanonical);
  ASSERT_EQ(r.calls.size(), 2u);
  ASSERT_TRUE(r.rejects.empty());
  const Call& c = r.calls[0];
  EXPECT_EQ(c.call_id, "c-1");
  EXPECT_EQ(c.start_ms, 1772442904000);
  EXPECT_EQ(c.caller.text, "+8613800138000");
  EXPECT_EQ(c.callee.text, "+8613900139000");
  EXPECT_TRUE(c.answered);
  EXPECT_DOUBLE_EQ(c.duration_s, 61.5);
  EXPECT_DOUBLE_EQ(c.ring_s, 4);
  EXPECT_EQ(c.ingress, Ingress::kInternational);
  EXPECT_EQ(c.trunk, "gw-7");
  EXPECT_EQ(c.origin_country, "KH");
  EXPECT_TRUE(c.origin_ip.present);
  EXPECT_TRUE(c.origin_ip.is_v4());
  EXPECT_EQ(c.attestation, Attestation::kC);
  EXPECT_EQ(c.imei, "35-209900-176148-1");
  EXPECT_EQ(c.cell, "cell-9");
  EXPECT_EQ(c.origid, "8f3c-origin");  // the STIR/SHAKEN origination id, trimmed
  EXPECT_TRUE(r.calls[1].origid.empty());
  EXPECT_EQ(c.label, Label::kScam);
  EXPECT_EQ(c.operation, "op1");
  EXPECT_EQ(r.calls[1].call_id, "line-3");  // generated from the line number
  EXPECT_DOUBLE_EQ(r.calls[1].ring_s, -1);
  EXPECT_EQ(r.unknown, std::vector<std::string>{"extra"});
}

TEST(CdrReader, BadRowsAreRejectedWithFileLineAndReasonAndNothingValidIsLost) {
  TempDir d;
  std::string rows =
      "call_id,start_time,caller,callee,answered,duration_s,ingress\n"
      "ok1,2026-03-02T09:00:00Z,+8613800138000,+8613900139000,1,10,mobile\n"
      "bad1,2026-03-02T09:00:01Z,+8613800138000,+8613900139000,1,10\n"         // field count
      "bad2,yesterday,+8613800138000,+8613900139000,1,10,mobile\n"             // time
      "bad3,2026-03-02T09:00:02Z,+8613800138000,+8613900139000,1,-3,mobile\n"  // negative
      "bad4,2026-03-02T09:00:03Z,+86138\xff,+8613900139000,1,10,mobile\n"      // UTF-8
      "bad5,2026-03-02T09:00:04Z," +
      std::string(100, '9') +
      ",+8613900139000,1,10,mobile\n"
      "bad6,2026-03-02T09:00:05Z,+8613800138000,+8613900139000,maybe,10,mobile\n"
      "bad7,2026-03-02T09:00:06Z,+8613800138000,+8613900139000,1,10,carrier-pigeon\n"
      "bad8,\"2026-03-02T09:00:07Z\"x,+8613800138000,+8613900139000,1,10,mobile\n"
      "ok2,2026-03-02T09:00:08Z,not-a-number,+8613900139000,0,0,voip\n";
  ReadResult r = ReadFile(d.Write("calls.csv", rows));
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].call_id, "ok1");
  EXPECT_EQ(r.calls[1].call_id, "ok2");
  EXPECT_EQ(r.calls[1].caller.status, NumberStatus::kUnparsable);  // kept, not rejected
  ASSERT_EQ(r.rejects.size(), 8u);
  std::vector<std::pair<uint64_t, std::string>> got;
  for (const auto& x : r.rejects) got.emplace_back(x.line, std::string(x.code));
  std::vector<std::pair<uint64_t, std::string>> want = {
      {3, "field_count"},    {4, "bad_time"},  {5, "negative_duration"}, {6, "bad_utf8"},
      {7, "field_too_long"}, {8, "bad_value"}, {9, "bad_value"},         {10, "malformed_quotes"}};
  EXPECT_EQ(got, want);
  EXPECT_NE(r.rejects[0].message.find("expected 7 fields"), std::string::npos);
  EXPECT_NE(r.rejects[3].message.find("caller"), std::string::npos);
  EXPECT_EQ(r.stats.records, 10u);
  EXPECT_EQ(r.stats.accepted, 2u);
  EXPECT_EQ(r.stats.rejected, 8u);
}

TEST(CdrReader, OutOfOrderRecordsAreReportedNotReordered) {
  TempDir d;
  auto p = d.Write("calls.csv",
                   "start_time,caller,callee,answered,duration_s\n"
                   "2026-03-02T09:10:00Z,+8613800138000,+8613900139000,1,10\n"
                   "2026-03-02T09:09:00Z,+8613800138000,+8613900139000,1,10\n"  // 60 s: tolerated
                   "2026-03-02T09:00:00Z,+8613800138000,+8613900139000,1,10\n"  // 600 s late
                   "2026-03-02T09:11:00Z,+8613800138000,+8613900139000,1,10\n");
  ReadResult r = ReadFile(p);
  ASSERT_EQ(r.calls.size(), 4u);
  EXPECT_EQ(r.calls[2].start_ms, 1772442000000);
  EXPECT_EQ(r.stats.out_of_order, 1u);
  EXPECT_EQ(r.stats.first_out_of_order_line, 4u);
  EXPECT_DOUBLE_EQ(r.stats.max_lateness_s, 600);
}

TEST(CdrReader, MissingRequiredColumnIsAnError) {
  TempDir d;
  static Config cfg = ParseConfig("version: 1\n", "").value();
  auto p = d.Write("calls.csv", "start_time,caller,answered,duration_s\n");
  auto r = CdrReader::Open(p, CdrFormat::kCanonical, cfg, &testing::TestNormaliser());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("callee"), std::string::npos);
  EXPECT_NE(r.status().message().find(":1:"), std::string::npos);
}

TEST(CdrReader, JsonLines) {
  TempDir d;
  auto p = d.Write("calls.jsonl",
                   "{\"call_id\":\"j1\",\"start_time\":\"2026-03-02T09:15:04Z\",\"caller\":"
                   "\"+8613800138000\",\"callee\":\"13900139000\",\"answered\":true,"
                   "\"duration_s\":12,\"ingress\":\"voip\",\"note\":1}\n"
                   "{not json}\n"
                   "[1,2]\n"
                   "{\"start_time\":1772442905,\"caller\":\"110\",\"callee\":\"13900139000\","
                   "\"answered\":0,\"duration_s\":-1}\n"
                   "{\"start_time\":1772442906,\"caller\":\"110\",\"callee\":\"13900139000\","
                   "\"answered\":0,\"duration_s\":0}\n");
  ReadResult r = ReadFile(p);
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].call_id, "j1");
  EXPECT_EQ(r.calls[0].callee.text, "+8613900139000");
  EXPECT_EQ(r.calls[0].ingress, Ingress::kVoip);
  EXPECT_DOUBLE_EQ(r.calls[0].duration_s, 12);
  EXPECT_EQ(r.calls[1].call_id, "line-5");
  ASSERT_EQ(r.rejects.size(), 3u);
  EXPECT_EQ(r.rejects[0].code, "bad_json");
  EXPECT_EQ(r.rejects[0].line, 2u);
  EXPECT_EQ(r.rejects[1].code, "bad_json");
  EXPECT_EQ(r.rejects[2].code, "negative_duration");
  EXPECT_EQ(r.unknown, std::vector<std::string>{"note"});
}

TEST(CdrReader, AsteriskMasterCsv) {
  ReadResult r = ReadFile(std::string(CALLGUARD_SOURCE_DIR) + "/tests/data/asterisk_Master.csv");
  EXPECT_EQ(r.format, CdrFormat::kAsterisk);
  ASSERT_EQ(r.calls.size(), 3u);
  const Call& a = r.calls[0];
  EXPECT_EQ(a.call_id, "1772442904.1");
  EXPECT_EQ(a.caller.text, "+8613800138000");
  EXPECT_EQ(a.callee.text, "+8613900139000");
  EXPECT_EQ(a.start_ms, 1772442904000);  // 17:15:04 at +08:00
  EXPECT_TRUE(a.answered);
  EXPECT_DOUBLE_EQ(a.duration_s, 60);
  EXPECT_DOUBLE_EQ(a.ring_s, 6);
  EXPECT_EQ(a.trunk, "SIP/gw1");
  EXPECT_FALSE(r.calls[1].answered);
  EXPECT_DOUBLE_EQ(r.calls[1].ring_s, 30);
  EXPECT_EQ(r.calls[2].caller.status, NumberStatus::kWithheld);
  EXPECT_EQ(r.calls[2].trunk, "IAX2/intl");
  EXPECT_EQ(r.calls[2].call_id, "line-3");  // 16 fields: no uniqueid
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].code, "field_count");
  EXPECT_EQ(r.rejects[0].line, 4u);
}

TEST(CdrReader, FreeswitchDefaultTemplate) {
  ReadResult r = ReadFile(std::string(CALLGUARD_SOURCE_DIR) + "/tests/data/freeswitch_Master.csv");
  EXPECT_EQ(r.format, CdrFormat::kFreeswitch);
  ASSERT_EQ(r.calls.size(), 3u);
  EXPECT_EQ(r.calls[0].call_id, "a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d");
  EXPECT_TRUE(r.calls[0].answered);
  EXPECT_DOUBLE_EQ(r.calls[0].duration_s, 60);
  EXPECT_DOUBLE_EQ(r.calls[0].ring_s, 6);
  EXPECT_FALSE(r.calls[1].answered);
  EXPECT_EQ(r.calls[2].caller.text, "+85512345678");
  EXPECT_FALSE(r.calls[2].caller.domestic);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].code, "bad_time");
  EXPECT_EQ(r.rejects[0].line, 4u);
}

TEST(CdrReader, UnknownLayoutIsAnErrorThatSaysSo) {
  TempDir d;
  static Config cfg = ParseConfig("version: 1\n", "").value();
  auto p = d.Write("x.csv", "a,b,c\n1,2,3\n");
  auto r = CdrReader::Open(p, CdrFormat::kAuto, cfg, &testing::TestNormaliser());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--format"), std::string::npos);
}

}  // namespace
}  // namespace callguard
