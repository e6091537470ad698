#include "ingest/cdr_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace callguard {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::unique_ptr<CdrReader>> CdrReader::Open(const std::string& path, CdrFormat format,
                                                   const Config& cfg, Normaliser* normaliser) {
  std::string base = path;
  if (EndsWith(base, ".gz")) base.resize(base.size() - 3);
  if (format == CdrFormat::kAuto && (EndsWith(base, ".jsonl") || EndsWith(base, ".ndjson")))
    format = CdrFormat::kJsonl;
  auto mode = format == CdrFormat::kJsonl ? LineSource::Mode::kLines : LineSource::Mode::kCsv;
  auto src = LineSource::Open(path, mode, static_cast<size_t>(cfg.ingest.max_record_bytes));
  if (!src.ok()) return src.status();
  std::unique_ptr<CdrReader> r(new CdrReader(std::move(src.value()), format, cfg, normaliser));

  if (r->format_ == CdrFormat::kJsonl) return r;
  // Look at the first record to detect the layout (and read the canonical header).
  LineSource::Record first;
  if (!r->src_->Next(&first)) {
    if (!r->src_->status().ok()) return r->src_->status();
    if (r->format_ == CdrFormat::kAuto || r->format_ == CdrFormat::kCanonical)
      return Status::InvalidArgument(path + ": empty file (expected a header row)");
    return r;
  }
  std::string text(first.text);
  if (r->format_ == CdrFormat::kAuto) {
    if (!text.empty() && text[0] == '{') {
      return Status::InvalidArgument(path +
                                     ": looks like JSON Lines; name it .jsonl or pass --format "
                                     "jsonl");
    }
    std::string err;
    r->splitter_.Split(text, &err);
    const auto& f = r->splitter_.fields();
    bool has_header = false;
    for (auto v : f)
      if (Lower(v) == "start_time") has_header = true;
    if (has_header) {
      r->format_ = CdrFormat::kCanonical;
    } else if (f.size() >= 16 && f.size() <= 18) {
      r->format_ = CdrFormat::kAsterisk;
    } else if (f.size() >= 13 && f.size() <= 15) {
      r->format_ = CdrFormat::kFreeswitch;
    } else {
      return Status::InvalidArgument(
          path + ":1: cannot tell the layout: no canonical header (start_time, caller, ...), and " +
          std::to_string(f.size()) +
          " fields fit neither Asterisk (16-18) nor FreeSWITCH (13-15); use --format");
    }
  }
  if (r->format_ == CdrFormat::kCanonical) {
    Status s = r->ReadHeader(text);
    if (!s.ok())
      return Status::InvalidArgument(path + ":" + std::to_string(first.line) + ": " +
                                     std::string(s.message()));
  } else {
    r->pending_first_ = std::move(text);
    r->pending_line_ = first.line;
    r->has_pending_ = true;
  }
  return r;
}

CdrReader::CdrReader(std::unique_ptr<LineSource> src, CdrFormat format, const Config& cfg,
                     Normaliser* normaliser)
    : src_(std::move(src)),
      format_(format),
      tolerance_ms_(cfg.ingest.reorder_tolerance_s * 1000),
      mapper_(cfg.ingest, cfg.engine.utc_offset_min, normaliser) {}

Status CdrReader::ReadHeader(const std::string& header) {
  std::string err;
  if (!splitter_.Split(header, &err)) return Status::InvalidArgument("header: " + err);
  header_.clear();
  column_field_.clear();
  std::vector<bool> seen(kFieldCount, false);
  for (auto v : splitter_.fields()) {
    std::string name = Lower(v);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    header_.push_back(name);
    auto it = std::find(kFieldNames.begin(), kFieldNames.end(), name);
    if (it == kFieldNames.end()) {
      column_field_.push_back(-1);
      unknown_columns_.push_back(name);
    } else {
      int idx = static_cast<int>(it - kFieldNames.begin());
      if (seen[idx]) return Status::InvalidArgument("header: column '" + name + "' appears twice");
      seen[idx] = true;
      column_field_.push_back(idx);
    }
  }
  std::string missing;
  for (int req : {kStartTime, kCaller, kCallee, kAnswered, kDurationS})
    if (!seen[req]) missing += (missing.empty() ? "" : ", ") + std::string(kFieldNames[req]);
  if (!missing.empty())
    return Status::InvalidArgument("header lacks required column(s): " + missing);
  return Status::Ok();
}

double CdrReader::progress() const {
  if (src_->file_size() == 0) return -1;
  return std::min(1.0, static_cast<double>(src_->compressed_offset()) / src_->file_size());
}

CdrReader::Outcome CdrReader::Reject(const LineSource::Record& r, std::string_view code,
                                     std::string message, Rejected* rej) {
  ++stats_.rejected;
  rej->line = r.line;
  rej->code = code;
  rej->message = std::move(message);
  rej->raw = r.text;
  return Outcome::kRejected;
}

bool CdrReader::MapJson(std::string_view text, uint64_t line, Call* call, RejectReason* why) {
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    why->code = "bad_json";
    why->message = j.is_discarded() ? "not valid JSON" : "not a JSON object";
    return false;
  }
  json_values_.resize(kFieldCount);
  std::array<std::string_view, kFieldCount> f{};
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto k = std::find(kFieldNames.begin(), kFieldNames.end(), it.key());
    if (k == kFieldNames.end()) {
      if (std::find(unknown_columns_.begin(), unknown_columns_.end(), it.key()) ==
          unknown_columns_.end())
        unknown_columns_.push_back(it.key());
      continue;
    }
    int idx = static_cast<int>(k - kFieldNames.begin());
    std::string& v = json_values_[idx];
    const auto& val = it.value();
    if (val.is_string()) {
      v = val.get<std::string>();
    } else if (val.is_boolean()) {
      v = val.get<bool>() ? "1" : "0";
    } else if (val.is_number()) {
      v = val.dump();
    } else if (val.is_null()) {
      v.clear();
    } else {
      why->code = "bad_value";
      why->message = it.key() + ": expected a string or number";
      return false;
    }
    if (v.size() > 1024 * 64) v.resize(1024 * 64);
    f[idx] = v;
  }
  std::vector<std::string_view> all(f.begin(), f.end());
  std::vector<std::string> names(kFieldNames.begin(), kFieldNames.end());
  if (!mapper_.CheckFields(all, &names, why)) return false;
  return mapper_.MapCanonical(f, line, call, why);
}

CdrReader::Outcome CdrReader::Next(Call* call, Rejected* rej) {
  for (;;) {
    LineSource::Record r;
    if (has_pending_) {
      has_pending_ = false;
      r.text = pending_first_;
      r.line = pending_line_;
    } else if (!src_->Next(&r)) {
      return Outcome::kEnd;
    }
    ++stats_.records;
    if (r.too_long) {
      return Reject(r, "record_too_long",
                    "record longer than " + std::to_string(src_ ? r.text.size() : 0) +
                        " bytes (an unclosed quote?)",
                    rej);
    }
    RejectReason why;
    bool ok;
    if (format_ == CdrFormat::kJsonl) {
      ok = MapJson(r.text, r.line, call, &why);
    } else {
      std::string err;
      if (!splitter_.Split(r.text, &err)) {
        return Reject(r, "malformed_quotes", err, rej);
      }
      const auto& fields = splitter_.fields();
      const bool check_utf8 = !IsValidUtf8(r.text);
      if (format_ == CdrFormat::kCanonical) {
        if (fields.size() != header_.size()) {
          return Reject(r, "field_count",
                        "expected " + std::to_string(header_.size()) +
                            " fields (as the header), got " + std::to_string(fields.size()),
                        rej);
        }
        if (!mapper_.CheckFields(fields, &header_, &why, check_utf8)) {
          ok = false;
        } else {
          std::array<std::string_view, kFieldCount> f{};
          for (size_t i = 0; i < fields.size(); ++i)
            if (column_field_[i] >= 0) f[column_field_[i]] = fields[i];
          ok = mapper_.MapCanonical(f, r.line, call, &why);
        }
      } else if (!mapper_.CheckFields(fields, nullptr, &why, check_utf8)) {
        ok = false;
      } else if (format_ == CdrFormat::kAsterisk) {
        ok = mapper_.MapAsterisk(fields, r.line, call, &why);
      } else {
        ok = mapper_.MapFreeswitch(fields, r.line, call, &why);
      }
    }
    if (!ok) return Reject(r, why.code, std::move(why.message), rej);
    ++stats_.accepted;
    if (call->start_ms > max_start_ms_) {
      max_start_ms_ = call->start_ms;
    } else if (max_start_ms_ - call->start_ms > tolerance_ms_) {
      if (stats_.out_of_order == 0) stats_.first_out_of_order_line = r.line;
      ++stats_.out_of_order;
      stats_.max_lateness_s =
          std::max(stats_.max_lateness_s, (max_start_ms_ - call->start_ms) / 1000.0);
    }
    return Outcome::kCall;
  }
}

}  // namespace callguard
