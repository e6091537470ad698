#include "core/subscribers.h"

#include <algorithm>

#include "core/time.h"
#include "ingest/csv_splitter.h"
#include "ingest/line_source.h"

namespace callguard {

Result<Subscribers> Subscribers::Load(const std::string& path, Normaliser* norm,
                                      SubscriberLoadStats* stats) {
  auto src = LineSource::Open(path, LineSource::Mode::kCsv, 65536);
  if (!src.ok()) return src.status();
  LineSource::Record rec;
  CsvSplitter split;
  std::string err;
  if (!(*src)->Next(&rec)) return Status::InvalidArgument(path + ": empty subscriber table");
  if (!split.Split(rec.text, &err)) return Status::InvalidArgument(path + ":1: " + err);
  std::vector<std::string> cols;
  for (auto f : split.fields()) cols.emplace_back(f);
  auto col = [&](const char* name) {
    auto it = std::find(cols.begin(), cols.end(), name);
    return it == cols.end() ? -1 : static_cast<int>(it - cols.begin());
  };
  int c_num = col("number"), c_type = col("line_type"), c_name = col("registered_name"),
      c_age = col("age_band"), c_vul = col("vulnerable"), c_act = col("activation_date");
  if (c_num < 0)
    return Status::InvalidArgument(path + ":1: subscriber table needs a 'number' column");
  Subscribers subs;
  Number n;
  auto fail = [&](uint64_t line, const std::string& why) {
    ++stats->rejected;
    if (stats->first_error.empty())
      stats->first_error = path + ":" + std::to_string(line) + ": " + why;
  };
  while ((*src)->Next(&rec)) {
    ++stats->rows;
    if (rec.too_long || !split.Split(rec.text, &err)) {
      fail(rec.line, rec.too_long ? "record too long" : err);
      continue;
    }
    const auto& f = split.fields();
    if (f.size() != cols.size()) {
      fail(rec.line,
           "expected " + std::to_string(cols.size()) + " fields, got " + std::to_string(f.size()));
      continue;
    }
    norm->Normalise(f[c_num], &n);
    if (n.key == 0 || n.e164.empty()) {
      fail(rec.line, "number '" + std::string(f[c_num]) + "' is not a telephone number");
      continue;
    }
    Subscriber s;
    if (c_type >= 0) {
      if (f[c_type] == "enterprise") {
        s.enterprise = true;
      } else if (!f[c_type].empty() && f[c_type] != "consumer") {
        fail(rec.line, "line_type must be consumer or enterprise");
        continue;
      }
    }
    if (c_name >= 0 && !f[c_name].empty()) {
      s.registered = true;
      s.registered_name.assign(f[c_name]);
    }
    if (c_age >= 0 && !f[c_age].empty()) {
      std::string_view a = f[c_age];
      if (a == "<18") {
        s.age = AgeBand::kUnder18;
      } else if (a == "18-39") {
        s.age = AgeBand::k18to39;
      } else if (a == "40-59") {
        s.age = AgeBand::k40to59;
      } else if (a == "60+") {
        s.age = AgeBand::k60plus;
      } else {
        fail(rec.line, "age_band must be <18, 18-39, 40-59 or 60+");
        continue;
      }
    }
    if (c_vul >= 0) s.vulnerable = f[c_vul] == "1" || f[c_vul] == "true";
    if (c_act >= 0 && !f[c_act].empty()) {
      int64_t ms;
      std::string d(f[c_act]);
      if (d.size() == 10) d += "T00:00:00Z";
      if (!ParseTimestamp(d, 0, &ms)) {
        fail(rec.line, "activation_date is not an RFC 3339 date");
        continue;
      }
      s.activation_day = ms / 86400000;
    }
    subs.by_key_[n.key] = std::move(s);
    ++stats->loaded;
  }
  if (!(*src)->status().ok()) return (*src)->status();
  return subs;
}

}  // namespace callguard
