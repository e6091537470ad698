// Helpers shared by the unit tests: building calls with normalised numbers, a temporary
// directory, and writing small files.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "callguard/call.h"
#include "core/number.h"
#include "core/time.h"

namespace callguard::testing {

inline Normaliser& TestNormaliser() {
  static std::unique_ptr<Normaliser> n = std::move(Normaliser::Create("CN").value());
  return *n;
}

// A call at `when` (RFC 3339) from `caller` to `callee`, answered with `duration` seconds.
inline Call MakeCall(const std::string& when, const std::string& caller, const std::string& callee,
                     bool answered = true, double duration = 60,
                     Ingress ingress = Ingress::kMobile) {
  Call c;
  c.call_id = caller + "->" + callee + "@" + when;
  ParseTimestamp(when, 0, &c.start_ms);
  TestNormaliser().Normalise(caller, &c.caller);
  TestNormaliser().Normalise(callee, &c.callee);
  c.answered = answered;
  c.duration_s = answered ? duration : 0;
  c.ring_s = 5;
  c.ingress = ingress;
  return c;
}

inline Call MakeCallAt(int64_t unix_s, const std::string& caller, const std::string& callee,
                       bool answered = true, double duration = 60,
                       Ingress ingress = Ingress::kMobile) {
  return MakeCall(FormatRfc3339(unix_s * 1000), caller, callee, answered, duration, ingress);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/callguard-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::ofstream(File(name), std::ios::binary) << content;
    return File(name);
  }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace callguard::testing
