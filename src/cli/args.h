// Args: a small command-line parser for the subcommands: "--name value", "--name=value",
// boolean "--flag", repeatable options, and positional arguments. Errors name the option.
#pragma once

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "callguard/status.h"

namespace callguard {

class Args {
 public:
  // `flags` take no value; `options` take one (and may repeat).
  static Result<Args> Parse(int argc, char** argv, const std::set<std::string>& flags,
                            const std::set<std::string>& options);
  bool Flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const {
    auto it = values_.find(name);
    return it == values_.end() || it->second.empty() ? def : it->second.back();
  }
  const std::vector<std::string>& All(const std::string& name) const {
    static const std::vector<std::string> kNone;
    auto it = values_.find(name);
    return it == values_.end() ? kNone : it->second;
  }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // A numeric option: its default when absent; an error naming the option when it is not a
  // number (the whole text must parse).
  Result<double> Number(const std::string& name, double def) const {
    if (!Has(name)) return def;
    std::string v = Get(name);
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size())
      return Status::InvalidArgument("--" + name + ": expected a number, got '" + v + "'");
    return d;
  }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

inline Result<Args> Args::Parse(int argc, char** argv, const std::set<std::string>& flags,
                                const std::set<std::string>& options) {
  Args a;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      a.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (flags.count(name)) {
      if (has_value) return Status::InvalidArgument("--" + name + " takes no value");
      a.flags_.insert(name);
    } else if (options.count(name)) {
      if (!has_value) {
        if (i + 1 >= argc) return Status::InvalidArgument("--" + name + " needs a value");
        value = argv[++i];
      }
      a.values_[name].push_back(value);
    } else {
      return Status::InvalidArgument("unknown option --" + name + " (see --help)");
    }
  }
  return a;
}

}  // namespace callguard
