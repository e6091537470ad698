#include "core/config_reader.h"

#include "core/time.h"

namespace callguard {

Status ConfigErrors::ToStatus(const std::string& file) const {
  if (messages.empty()) return Status::Ok();
  std::string all;
  for (const auto& m : messages) {
    if (!all.empty()) all += "\n";
    all += file.empty() ? m : file + ": " + m;
  }
  return Status::InvalidArgument(all);
}

ConfigNode::ConfigNode(YAML::Node node, std::string path, ConfigErrors* errors)
    : node_(std::move(node)), path_(std::move(path)), errors_(errors) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    errors_->Add((path_.empty() ? std::string("top level") : path_) + ": expected a mapping");
    node_ = YAML::Node();
  }
}

std::string ConfigNode::KeyPath(const std::string& key) const {
  if (key.empty()) return path_.empty() ? "top level" : path_;
  return path_.empty() ? key : path_ + "." + key;
}

void ConfigNode::Error(const std::string& key, const std::string& message) {
  errors_->Add(KeyPath(key) + ": " + message);
}

YAML::Node ConfigNode::Get(const std::string& key) {
  known_.insert(key);
  if (!node_.IsDefined() || node_.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node v = node_[key];
  if (!v.IsDefined() || v.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return v;
}

bool ConfigNode::Has(const std::string& key) {
  if (!node_.IsDefined() || node_.IsNull()) return false;
  YAML::Node v = node_[key];
  return v.IsDefined() && !v.IsNull();
}

bool ConfigNode::Bool(const std::string& key, bool def) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return def;
  try {
    return v.as<bool>();
  } catch (const YAML::Exception&) {
    Error(key, "expected true or false");
    return def;
  }
}

double ConfigNode::Number(const std::string& key, double def, double min, double max) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return def;
  double d;
  try {
    d = v.as<double>();
  } catch (const YAML::Exception&) {
    Error(key, "expected a number");
    return def;
  }
  if (d < min || d > max) {
    Error(key, "must be between " + YAML::Node(min).as<std::string>() + " and " +
                   YAML::Node(max).as<std::string>());
    return def;
  }
  return d;
}

int64_t ConfigNode::Int(const std::string& key, int64_t def, int64_t min, int64_t max) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return def;
  int64_t d;
  try {
    d = v.as<int64_t>();
  } catch (const YAML::Exception&) {
    Error(key, "expected an integer");
    return def;
  }
  if (d < min || d > max) {
    Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return def;
  }
  return d;
}

std::string ConfigNode::String(const std::string& key, const std::string& def) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return def;
  if (!v.IsScalar()) {
    Error(key, "expected a string");
    return def;
  }
  return v.Scalar();
}

std::string ConfigNode::Choice(const std::string& key, const std::string& def,
                               const std::vector<std::string>& choices) {
  std::string s = String(key, def);
  for (const auto& c : choices)
    if (s == c) return s;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  Error(key, "'" + s + "' is not one of: " + list);
  return def;
}

double ConfigNode::Duration(const std::string& key, double def_seconds) {
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return def_seconds;
  double secs;
  if (!v.IsScalar() || !ParseDurationSeconds(v.Scalar(), &secs)) {
    Error(key, "expected a duration such as 90, 90s, 250ms, 15m, 2h or 7d");
    return def_seconds;
  }
  return secs;
}

std::vector<std::string> ConfigNode::StringList(const std::string& key) {
  std::vector<std::string> out;
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return out;
  if (!v.IsSequence()) {
    Error(key, "expected a list");
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      errors_->Add(KeyPath(key) + "[" + std::to_string(i) + "]: expected a string");
      continue;
    }
    out.push_back(v[i].Scalar());
  }
  return out;
}

ConfigNode ConfigNode::Child(const std::string& key) {
  return ConfigNode(Get(key), KeyPath(key), errors_);
}

std::vector<ConfigNode> ConfigNode::List(const std::string& key) {
  std::vector<ConfigNode> out;
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return out;
  if (!v.IsSequence()) {
    Error(key, "expected a list");
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i)
    out.emplace_back(v[i], KeyPath(key) + "[" + std::to_string(i) + "]", errors_);
  return out;
}

void ConfigNode::Finish() {
  if (!node_.IsDefined() || node_.IsNull() || !node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    std::string k = it->first.as<std::string>();
    if (!known_.count(k)) errors_->Add(KeyPath("") + ": unknown key '" + k + "'");
  }
}

}  // namespace callguard
