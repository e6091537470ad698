#include "ingest/reject_log.h"

#include <cerrno>
#include <cstring>

namespace callguard {

RejectLog::~RejectLog() {
  if (f_) std::fclose(f_);
}

Status RejectLog::Open(const std::string& path) {
  path_ = path;
  if (path.empty()) return Status::Ok();
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) return Status::IoError(path + ": cannot create reject file: " + std::strerror(errno));
  return Status::Ok();
}

void RejectLog::Add(const std::string& file, const Rejected& r) {
  ++counts_[std::string(r.code)];
  ++total_;
  if (!f_) return;
  line_.clear();
  line_ += file;
  line_ += ':';
  line_ += std::to_string(r.line);
  line_ += ": ";
  line_ += r.code;
  line_ += ": ";
  line_ += r.message;
  line_ += '\t';
  std::string_view raw = r.raw.substr(0, 2048);
  for (char c : raw) {
    if (c == '\n') {
      line_ += "\\n";
    } else if (c == '\r') {
      line_ += "\\r";
    } else {
      line_ += c;
    }
  }
  line_ += '\n';
  std::fwrite(line_.data(), 1, line_.size(), f_);
}

Status RejectLog::Close() {
  if (!f_) return Status::Ok();
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) return Status::IoError(path_ + ": write failed: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace callguard
