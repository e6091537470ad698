// What the HTTP API reads from the engine, built on the screening thread (the engine's only
// thread) as JSON: a number's learned profile and how it would be judged if it called now, and
// the list entries from the store turned into the lists detector's form.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "callguard/call.h"
#include "detectors/lists/list_set.h"
#include "engine/engine.h"
#include "store/store.h"

namespace callguard {

// {"profile":{...}|null,"assessment":<verdict line of a hypothetical call now>}. Must run on
// the engine's thread. `n` is normalised.
std::string NumberEngineView(Engine& engine, const Number& n, int64_t now_ms, bool shadow);

// Builds the store's list entries into a ListSet; entries that no longer parse are skipped and
// counted in *skipped (they were validated when added; a changed region could break them).
std::shared_ptr<const ListSet> BuildStoreLists(const std::vector<store::ListRecord>& entries,
                                               Normaliser* norm, size_t* skipped);

// Hands `lists` to the engine's lists detector. Must run on the engine's thread.
void InstallStoreLists(Engine& engine, std::shared_ptr<const ListSet> lists);

// The partners' indicators as screening evidence (`key`: the shared HMAC key, may be empty).
std::shared_ptr<const PartnerReputation> BuildPartners(
    const std::vector<store::PartnerIndicator>& v, Normaliser* norm, const std::string& key);
void InstallPartners(Engine& engine, std::shared_ptr<const PartnerReputation> p);

}  // namespace callguard
