// ConfigNode: a view of one YAML mapping that knows its path in the file, reads typed keys with
// defaults and bounds, and reports every key nobody asked for as unknown
// ("detectors.behaviour.windows[2]: unknown key 'foo'").
//
// Errors are collected in a shared ConfigErrors list rather than thrown, so that one pass reports
// every mistake in a file. yaml-cpp's exceptions stop here. Not thread-safe; used only at load.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "callguard/status.h"

namespace callguard {

// A path from a configuration file: absolute paths as they are, relative ones against the
// file's directory (`base_dir`; "" = the working directory).
inline std::string ResolveConfigPath(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

struct ConfigErrors {
  std::vector<std::string> messages;
  void Add(std::string m) { messages.push_back(std::move(m)); }
  // OK when empty; otherwise an InvalidArgument listing every message, one per line.
  Status ToStatus(const std::string& file) const;
};

class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::string path, ConfigErrors* errors);

  const std::string& path() const { return path_; }
  bool Has(const std::string& key);
  bool Bool(const std::string& key, bool def);
  double Number(const std::string& key, double def, double min, double max);
  int64_t Int(const std::string& key, int64_t def, int64_t min, int64_t max);
  std::string String(const std::string& key, const std::string& def);
  // A string that must be one of `choices`.
  std::string Choice(const std::string& key, const std::string& def,
                     const std::vector<std::string>& choices);
  // A duration: a number of seconds or "90s", "15m", "2h", "7d".
  double Duration(const std::string& key, double def_seconds);
  std::vector<std::string> StringList(const std::string& key);
  // A child mapping; absent gives an empty node whose reads return defaults.
  ConfigNode Child(const std::string& key);
  // A list of mappings.
  std::vector<ConfigNode> List(const std::string& key);
  // Reports keys present in the mapping but never read. Call after reading every key.
  void Finish();
  // Records an error at this node's path, or at path.key when key is not empty.
  void Error(const std::string& key, const std::string& message);

 private:
  YAML::Node Get(const std::string& key);
  std::string KeyPath(const std::string& key) const;

  YAML::Node node_;
  std::string path_;
  ConfigErrors* errors_;
  std::set<std::string> known_;
};

}  // namespace callguard
