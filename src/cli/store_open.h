// The store a CLI command works on: the configuration's (store.url, or SQLite in
// store.data_dir), with --store URL and --data-dir DIR overriding them as for `serve`.
#pragma once

#include <sys/stat.h>

#include <memory>

#include "cli/args.h"
#include "core/config.h"
#include "store/store.h"

namespace callguard {

inline Result<std::unique_ptr<store::Store>> OpenStoreFromArgs(const Args& a,
                                                               Config* cfg_out = nullptr) {
  auto cfg = LoadConfig(a.Get("config"));
  if (!cfg.ok()) return cfg.status();
  if (a.Has("store")) cfg->store.url = a.Get("store");
  if (a.Has("data-dir")) cfg->store.data_dir = a.Get("data-dir");
  if (cfg->store.url.empty()) mkdir(cfg->store.data_dir.c_str(), 0700);
  if (cfg_out) *cfg_out = *cfg;
  return store::Store::Open(cfg->store.Url(), 1);
}

}  // namespace callguard
