#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

#include "ingest/csv_splitter.h"
#include "ingest/line_source.h"
#include "test_util.h"

namespace callguard {
namespace {

using testing::TempDir;

std::vector<std::string> Split(const std::string& rec, bool* ok = nullptr) {
  CsvSplitter s;
  std::string err;
  bool r = s.Split(rec, &err);
  if (ok) *ok = r;
  std::vector<std::string> out;
  for (auto f : s.fields()) out.emplace_back(f);
  return out;
}

TEST(CsvSplitter, Rfc4180Quoting) {
  EXPECT_EQ(Split("a,b,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Split("a,,c,"), (std::vector<std::string>{"a", "", "c", ""}));
  EXPECT_EQ(Split("\"a,b\",\"say \"\"hi\"\"\",\"\""),
            (std::vector<std::string>{"a,b", "say \"hi\"", ""}));
  EXPECT_EQ(Split("\"multi\nline\",x"), (std::vector<std::string>{"multi\nline", "x"}));
  EXPECT_EQ(Split(""), (std::vector<std::string>{""}));
}

TEST(CsvSplitter, ManyEscapedFieldsStayValid) {
  // Unescaped copies must survive later fields being unescaped too.
  std::string rec;
  for (int i = 0; i < 40; ++i)
    rec += (i ? "," : "") + std::string("\"v\"\"") + std::to_string(i) + "\"";
  auto f = Split(rec);
  ASSERT_EQ(f.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(f[i], "v\"" + std::to_string(i));
}

TEST(CsvSplitter, WrittenFieldsReadBackUnchanged) {
  EXPECT_EQ(CsvField("+8613800138000"), "+8613800138000");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  const std::vector<std::string> fields = {"plain", "a,b", "say \"hi\"", "two\nlines", "", "\r"};
  std::string rec;
  for (size_t i = 0; i < fields.size(); ++i) rec += (i ? "," : "") + CsvField(fields[i]);
  bool ok = false;
  EXPECT_EQ(Split(rec, &ok), fields);
  EXPECT_TRUE(ok);
}

// Records without quotes take a 16-bytes-at-a-time path: every length and separator position
// (block boundaries, first and last byte, runs of empty fields) splits as a plain split would,
// and a quote anywhere, even in the last partial block, goes back to the RFC 4180 reading.
TEST(CsvSplitter, UnquotedFastPathMatchesAPlainSplit) {
  std::mt19937 rng(5);
  for (char sep : {',', '\t', ';'}) {
    CsvSplitter s(sep);
    for (int len = 0; len <= 80; ++len) {
      for (int trial = 0; trial < 20; ++trial) {
        std::string rec;
        for (int i = 0; i < len; ++i) rec.push_back(rng() % 4 == 0 ? sep : "ab+0 9"[rng() % 6]);
        std::vector<std::string> want{""};
        for (char c : rec) {
          if (c == sep) {
            want.emplace_back();
          } else {
            want.back().push_back(c);
          }
        }
        std::string err;
        ASSERT_TRUE(s.Split(rec, &err)) << rec;
        std::vector<std::string> got(s.fields().begin(), s.fields().end());
        ASSERT_EQ(got, want) << "separator '" << sep << "', record '" << rec << "'";
      }
    }
  }
  // A quoted field after 16+ plain bytes, and a quote in the final partial block.
  EXPECT_EQ(Split("0123456789abcdefgh,\"x,y\",z"),
            (std::vector<std::string>{"0123456789abcdefgh", "x,y", "z"}));
  EXPECT_EQ(Split("0123456789abcdef,\"q\""), (std::vector<std::string>{"0123456789abcdef", "q"}));
  bool ok = true;
  Split("0123456789abcdef0123,x\"y", &ok);  // a bare quote inside a field is kept as text
  EXPECT_TRUE(ok);
  EXPECT_EQ(Split("0123456789abcdef0123,x\"y"),
            (std::vector<std::string>{"0123456789abcdef0123", "x\"y"}));
}

TEST(CsvSplitter, MalformedQuoting) {
  bool ok;
  Split("\"abc\"x,1", &ok);
  EXPECT_FALSE(ok);
  Split("\"unclosed,1", &ok);
  EXPECT_FALSE(ok);
}

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(IsValidUtf8("plain ascii text, long enough for the fast path"));
  EXPECT_TRUE(IsValidUtf8("北京 Москва €"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x93\x9E"));  // U+1F4DE
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("abc\xC3"));           // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

std::vector<std::pair<uint64_t, std::string>> ReadAll(const std::string& path,
                                                      LineSource::Mode mode, size_t max = 1024,
                                                      std::vector<bool>* too_long = nullptr) {
  auto src = LineSource::Open(path, mode, max);
  EXPECT_TRUE(src.ok());
  std::vector<std::pair<uint64_t, std::string>> out;
  LineSource::Record r;
  while ((*src)->Next(&r)) {
    out.emplace_back(r.line, std::string(r.text));
    if (too_long) too_long->push_back(r.too_long);
  }
  EXPECT_TRUE((*src)->status().ok());
  return out;
}

TEST(LineSource, RecordsAndLineNumbers) {
  TempDir dir;
  std::string p = dir.Write("a.csv", "\xEF\xBB\xBFh1,h2\r\na,\"x\ny\"\r\n\r\nb,c\nlast,no-newline");
  auto recs = ReadAll(p, LineSource::Mode::kCsv);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0], (std::pair<uint64_t, std::string>{1, "h1,h2"}));
  EXPECT_EQ(recs[1], (std::pair<uint64_t, std::string>{2, "a,\"x\ny\""}));
  EXPECT_EQ(recs[2], (std::pair<uint64_t, std::string>{5, "b,c"}));
  EXPECT_EQ(recs[3], (std::pair<uint64_t, std::string>{6, "last,no-newline"}));
}

TEST(LineSource, LineModeIgnoresQuotes) {
  TempDir dir;
  std::string p = dir.Write("a.jsonl", "{\"a\":\"\\\"\"}\n{\"b\":1}\n");
  auto recs = ReadAll(p, LineSource::Mode::kLines);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].second, "{\"b\":1}");
}

TEST(LineSource, TooLongRecordIsReportedAndSkipped) {
  TempDir dir;
  std::string big(5000, 'x');
  // An unclosed quote would swallow the rest of the file; the limit stops it at one record.
  std::string p = dir.Write("a.csv", "ok,1\n\"" + big + "\nnext,2\nmore,3\n");
  std::vector<bool> too_long;
  auto recs = ReadAll(p, LineSource::Mode::kCsv, 1024, &too_long);
  ASSERT_GE(recs.size(), 2u);
  EXPECT_EQ(recs[0].second, "ok,1");
  EXPECT_TRUE(too_long[1]);
  EXPECT_EQ(recs[1].first, 2u);
  EXPECT_EQ(recs.back().second, "more,3");
  EXPECT_EQ(recs.back().first, 4u);
}

TEST(LineSource, ReadsGzipAcrossBufferBoundaries) {
  TempDir dir;
  std::string path = dir.File("big.csv.gz");
  gzFile f = gzopen(path.c_str(), "wb");
  const int n = 200000;
  for (int i = 0; i < n; ++i) gzprintf(f, "row%d,\"quoted,%d\"\n", i, i);
  gzclose(f);
  auto src = LineSource::Open(path, LineSource::Mode::kCsv, 1024);
  ASSERT_TRUE(src.ok());
  LineSource::Record r;
  int count = 0;
  while ((*src)->Next(&r)) {
    ASSERT_EQ(r.text, "row" + std::to_string(count) + ",\"quoted," + std::to_string(count) + "\"");
    ASSERT_EQ(r.line, static_cast<uint64_t>(count + 1));
    ++count;
  }
  EXPECT_EQ(count, n);
}

TEST(LineSource, MissingFileIsAnError) {
  auto src = LineSource::Open("/nonexistent/calls.csv", LineSource::Mode::kCsv, 1024);
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("/nonexistent/calls.csv"), std::string::npos);
}

}  // namespace
}  // namespace callguard
