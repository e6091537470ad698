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
    double partner_weight = 3.0;  // x the entry's strength (confidence x trust)
    std::string region = "CN";
  };
  static Options ParseConfig(ConfigNode& node, const Config& cfg);
  static Result<std::unique_ptr<ListsDetector>> Create(const Options& opt,
                                                       const EngineState& state);

  std::string_view name() const override { return "lists"; }
  void assess(const Call& call, Evidence& out) const override;
  bool learns() const override { return false; }
  Status Reload() override;

  const ListSet& lists() const { return *lists_; }
  // Replaces the lists read from files.
  void Replace(std::shared_ptr<const ListSet> lists) { lists_ = std::move(lists); }
  // Sets the entries kept in the store (added over the API, by analysts' feedback and by
  // appeal decisions). At each level (number, prefix, trunk, address, country) an active store
  // entry wins over a file entry: it is the newer, deliberate decision.
  void SetStoreLists(std::shared_ptr<const ListSet> lists) { store_lists_ = std::move(lists); }
  const ListSet* store_lists() const { return store_lists_.get(); }
  // Sets the indicators partners shared (evidence, never a block on their own).
  void SetPartners(std::shared_ptr<const PartnerReputation> p) { partners_ = std::move(p); }

 private:
  ListsDetector(const Options& opt, const EngineState& state);
  Result<std::shared_ptr<const ListSet>> LoadAll();

  Options opt_;
  const EngineState& state_;
  std::unique_ptr<Normaliser> norm_;
  std::shared_ptr<const ListSet> lists_;
  std::shared_ptr<const ListSet> store_lists_ = std::make_shared<ListSet>();
  std::shared_ptr<const PartnerReputation> partners_ = std::make_shared<PartnerReputation>();
};

}  // namespace callguard
