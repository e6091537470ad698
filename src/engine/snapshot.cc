#include "engine/snapshot.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

namespace callguard {

namespace {
constexpr char kMagic[8] = {'C', 'G', 'S', 'T', 'A', 'T', 'E', '1'};
}

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Create(const std::string& path) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::IoError(tmp + ": cannot create: " + std::strerror(errno));
  auto w = std::unique_ptr<SnapshotWriter>(new SnapshotWriter(f, path, tmp));
  w->Write(kMagic, sizeof kMagic);
  return w;
}

SnapshotWriter::SnapshotWriter(FILE* f, std::string path, std::string tmp)
    : f_(f), path_(std::move(path)), tmp_(std::move(tmp)) {
  crc_ = static_cast<uint32_t>(crc32(0, nullptr, 0));
}

SnapshotWriter::~SnapshotWriter() {
  if (f_) {
    std::fclose(f_);
    std::remove(tmp_.c_str());
  }
}

void SnapshotWriter::Write(const void* data, size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, f_) != n) failed_ = true;
  // zlib's crc32 takes a uInt length: feed large buffers in pieces.
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc_ = static_cast<uint32_t>(crc32(crc_, p, chunk));
    p += chunk;
    n -= chunk;
  }
}

void SnapshotWriter::BeginSection(std::string_view tag) {
  tag_.assign(tag.substr(0, 4));
  tag_.resize(4, ' ');
  buf_.clear();
}

void SnapshotWriter::EndSection() {
  Write(tag_.data(), 4);
  uint64_t len = buf_.size();
  Write(&len, sizeof len);
  Write(buf_.data(), buf_.size());
  buf_.clear();
  buf_.shrink_to_fit();
}

Status SnapshotWriter::Commit() {
  Write("END!", 4);
  uint32_t crc = crc_;
  if (std::fwrite(&crc, 1, 4, f_) != 4) failed_ = true;
  if (std::fflush(f_) != 0 || fsync(fileno(f_)) != 0) failed_ = true;
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (failed_ || rc != 0) {
    std::remove(tmp_.c_str());
    return Status::IoError(tmp_ + ": write failed: " + std::strerror(errno));
  }
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
    return Status::IoError(path_ + ": rename failed: " + std::strerror(errno));
  return Status::Ok();
}

Result<std::unique_ptr<SnapshotReader>> SnapshotReader::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open snapshot");
  auto r = std::make_unique<SnapshotReader>();
  r->path_ = path;
  std::stringstream ss;
  ss << in.rdbuf();
  r->data_ = ss.str();
  const std::string& d = r->data_;
  if (d.size() < sizeof kMagic + 8 || std::memcmp(d.data(), kMagic, sizeof kMagic) != 0)
    return Status::ParseError(path + ": not a callguard snapshot (bad magic)");
  size_t body = d.size() - 4;
  if (std::memcmp(d.data() + body - 4, "END!", 4) != 0)
    return Status::ParseError(path + ": truncated snapshot (no trailer)");
  uint32_t want;
  std::memcpy(&want, d.data() + body, 4);
  uint32_t crc = static_cast<uint32_t>(crc32(0, nullptr, 0));
  const auto* p = reinterpret_cast<const Bytef*>(d.data());
  size_t n = body;
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  if (crc != want) return Status::ParseError(path + ": snapshot checksum mismatch (corrupt)");
  return r;
}

Status SnapshotReader::Section(std::string_view tag) {
  size_t p = sizeof kMagic;
  size_t limit = data_.size() - 8;  // "END!" + crc
  while (p + 12 <= limit) {
    uint64_t len;
    std::memcpy(&len, data_.data() + p + 4, 8);
    if (len > limit - p - 12) return Corrupt("section length");
    if (std::string_view(data_.data() + p, 4) == tag) {
      pos_ = p + 12;
      end_ = pos_ + len;
      return Status::Ok();
    }
    p += 12 + len;
  }
  return Status::NotFound(path_ + ": snapshot has no '" + std::string(tag) + "' section");
}

bool SnapshotReader::GetString(std::string* s) {
  uint32_t n;
  if (!Get(&n) || remaining() < n) return false;
  s->assign(data_.data() + pos_, n);
  pos_ += n;
  return true;
}

Status SnapshotReader::Corrupt(std::string_view what) const {
  return Status::ParseError(path_ + ": corrupt snapshot (" + std::string(what) + ")");
}

}  // namespace callguard
