// ListsDetector: the operator's block and allow lists, and the registered callers of the
// subscriber table. See README.md beside this file for the file format and reason codes.
//
// The most specific active entry decides (number, then longest prefix, then trunk, then IP range,
// then origin country), so an allowed partner number inside a blocked prefix stays allowed.
// A block entry sets Evidence::blocklisted (the policy then always blocks); an allow entry or a
// registered caller sets Evidence::protected_caller (at most `label`). Expiry is judged against
// the call's own start time, so replaying old records gives the same answers. Reload() swaps in
// freshly read files whole, or keeps the old lists and returns the error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "callguard/detector.h"
#include "core/config.h"
#include "core/config_reader.h"
#include "core/number.h"
#include "detectors/lists/list_set.h"

namespace callguard {

struct EngineState;

class ListsDetector : public Detector {
 public:
  struct Options {
    bool enabled = true;
    std::vector<std::string> files;  // resolved paths
    double block_weight = 8.0;
    double allow_weight = -2.0;
    double registered_weight = -1.0;
    std::string region = "CN";
  };
  static Options ParseConfig(ConfigNode& node, const Config& cfg);
  static Result<std::unique_ptr<ListsDetector>> Create(const Options& opt,
                                                       const EngineState& state);

  std::string_view name() const override { return "lists"; }
  void assess(const Call& call, Evidence& out) const override;
  Status Reload() override;

  const ListSet& lists() const { return *lists_; }
  // Replaces the lists (the server's API adds and removes entries through this).
  void Replace(std::shared_ptr<const ListSet> lists) { lists_ = std::move(lists); }

 private:
  ListsDetector(const Options& opt, const EngineState& state);
  Result<std::shared_ptr<const ListSet>> LoadAll();

  Options opt_;
  const EngineState& state_;
  std::unique_ptr<Normaliser> norm_;
  std::shared_ptr<const ListSet> lists_;
};

}  // namespace callguard
