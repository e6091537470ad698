// Snapshot files: the engine's learned state (profiles, pair filter, calls in progress, and each
// detector's own state) saved to one compact binary file and restored at start-up.
//
// Layout: "CGSTATE1", then sections (4-byte tag, 8-byte length, payload), then "END!" and a
// CRC-32 of everything before it. Files are written to a temporary name and renamed, so a crash
// while saving leaves the previous snapshot intact. Values are little-endian (x86-64 and arm64).
// Writer and reader are single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "callguard/status.h"

namespace callguard {

class SnapshotWriter {
 public:
  static Result<std::unique_ptr<SnapshotWriter>> Create(const std::string& path);
  ~SnapshotWriter();

  void BeginSection(std::string_view tag);  // exactly 4 characters
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    PutBytes(&v, sizeof v);
  }
  void PutBytes(const void* data, size_t n) { buf_.append(static_cast<const char*>(data), n); }
  void PutString(std::string_view s) {
    Put<uint32_t>(static_cast<uint32_t>(s.size()));
    PutBytes(s.data(), s.size());
  }
  void EndSection();
  // Writes the trailer, flushes, fsyncs and renames into place.
  Status Commit();

 private:
  SnapshotWriter(FILE* f, std::string path, std::string tmp);
  void Write(const void* data, size_t n);
  FILE* f_;
  std::string path_, tmp_;
  std::string tag_;
  std::string buf_;
  uint32_t crc_ = 0;
  bool failed_ = false;
};

class SnapshotReader {
 public:
  // Reads and checks the whole file (magic and CRC).
  static Result<std::unique_ptr<SnapshotReader>> Open(const std::string& path);

  // Moves to the section with `tag` (sections may come in any order); NotFound if absent.
  Status Section(std::string_view tag);
  template <typename T>
  bool Get(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return GetBytes(v, sizeof *v);
  }
  bool GetBytes(void* out, size_t n) {
    if (end_ - pos_ < n) return false;
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool GetString(std::string* s);
  size_t remaining() const { return end_ - pos_; }
  Status Corrupt(std::string_view what) const;

 private:
  std::string path_;
  std::string data_;
  size_t pos_ = 0, end_ = 0;
};

}  // namespace callguard
