// Evidence packs: everything about one case in a directory that can be handed to the police or
// a partner, and checked by anyone with the operator's public key.
//
// `callguard case export` writes case.json (the case, its links and enforcement log),
// calls.csv (every call to or from the case's numbers, contract columns), operations.jsonl
// (the case's operations with their link evidence), victims.csv (the people they reached, with
// grades and reasons), subscribers.csv (those people's subscriber rows, when a table is given),
// report.html (summary, enforcement log, timeline, the operation's graph, link evidence,
// victims) and manifest.json: the SHA-256 of every file, signed with the operator's Ed25519 key.
// Victims' numbers are replaced by keyed pseudonyms (HMAC-SHA256 under a secret derived from
// the signing key: stable within the operator, meaningless outside) unless the audience is the
// police. Same inputs, same key: the same bytes (no wall-clock time anywhere).
#pragma once

#include <string>
#include <vector>

#include "callguard/status.h"
#include "core/config.h"
#include "investigate/signing.h"
#include "store/store.h"

namespace callguard::investigate {

struct PackInputs {
  store::CaseRecord kase;
  std::vector<std::string> calls_files;
  std::string subscribers_file;      // optional
  std::string ops_dir;               // holds operations.jsonl (optional)
  std::string audience = "partner";  // partner | police
  EVP_PKEY* key = nullptr;
};

struct PackSummary {
  uint64_t calls = 0, victims = 0, files = 0;
  bool pseudonymised = true;
  std::string key_id;
};

Result<PackSummary> WriteEvidencePack(const Config& cfg, const PackInputs& in,
                                      const std::string& dir);

struct PackCheck {
  bool ok = false;
  std::string key_id;
  std::vector<std::string> problems;  // "calls.csv: hash differs", ...
};
// Re-checks every file's hash, that no file was added or removed, and the signature (with the
// key in the manifest, which must equal `pinned` when one is given).
PackCheck VerifyEvidencePack(const std::string& dir, EVP_PKEY* pinned);

}  // namespace callguard::investigate
