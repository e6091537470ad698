#include "core/config.h"

#include <fstream>
#include <sstream>

#include "core/config_reader.h"
#include "core/time.h"

namespace callguard {

std::string Config::ResolvePath(const std::string& p) const {
  return ResolveConfigPath(base_dir, p);
}

namespace {

Status ParseInto(const YAML::Node& root, Config* cfg) {
  ConfigErrors errors;
  ConfigNode top(root, "", &errors);
  cfg->version = static_cast<int>(top.Int("version", 1, 1, 1));
  if (root.IsMap() && !top.Has("version")) top.Error("version", "missing (this release reads 1)");

  ConfigNode engine = top.Child("engine");
  cfg->engine.region = engine.String("region", cfg->engine.region);
  std::string offset = engine.String("utc_offset", "+08:00");
  if (!ParseUtcOffset(offset, &cfg->engine.utc_offset_min))
    engine.Error("utc_offset", "expected an offset such as +08:00, -05:00 or Z");
  cfg->engine.shadow = engine.Choice("mode", "enforce", {"enforce", "shadow"}) == "shadow";
  cfg->engine.expected_numbers =
      static_cast<uint64_t>(engine.Int("expected_numbers", 1 << 16, 1024, int64_t{1} << 34));
  cfg->engine.pair_filter_mb = engine.Number("pair_filter_mb", 64, 1, 65536);
  cfg->engine.profile_idle_expiry_s = engine.Duration("profile_idle_expiry", 90 * 86400.0);
  engine.Finish();

  ConfigNode policy = top.Child("policy");
  ConfigNode th = policy.Child("thresholds");
  cfg->policy.label = th.Number("label", 0.5, 0, 1);
  cfg->policy.warn = th.Number("warn", 0.8, 0, 1);
  cfg->policy.block = th.Number("block", 0.95, 0, 1);
  th.Finish();
  if (!(cfg->policy.label <= cfg->policy.warn && cfg->policy.warn <= cfg->policy.block))
    th.Error("", "thresholds must satisfy label <= warn <= block");
  cfg->policy.protect_registered = policy.Bool("protect_registered", true);
  policy.Finish();

  ConfigNode ingest = top.Child("ingest");
  cfg->ingest.reorder_tolerance_s = ingest.Duration("reorder_tolerance", 300);
  cfg->ingest.max_field_bytes = ingest.Int("max_field_bytes", 1024, 16, 1 << 20);
  cfg->ingest.max_record_bytes = ingest.Int("max_record_bytes", 65536, 256, 1 << 24);
  ingest.Finish();

  ParseServeConfig(top.Child("serve"), &cfg->serve);
  ParseShakenConfig(top.Child("shaken"), cfg->base_dir, &cfg->shaken);
  ParseStoreConfig(top.Child("store"), cfg->base_dir, &cfg->store);
  ParseApiConfig(top.Child("api"), cfg->base_dir, &cfg->api);
  ParseInvestigateConfig(top.Child("investigate"), cfg->base_dir, &cfg->investigate);

  top.Has("detectors");
  top.Child("detectors");  // marks the key known; detectors validate their own sections
  cfg->detectors = root.IsMap() ? root["detectors"] : YAML::Node();
  top.Finish();
  return errors.ToStatus(cfg->file);
}

}  // namespace

Result<Config> ParseConfig(const std::string& yaml_text, const std::string& base_dir) {
  Config cfg;
  cfg.base_dir = base_dir;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("line " + std::to_string(e.mark.line + 1) + ", column " +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  Status s = ParseInto(root, &cfg);
  if (!s.ok()) return s;
  return cfg;
}

Result<Config> LoadConfig(const std::string& path) {
  if (path.empty()) return ParseConfig("version: 1\n", "");
  std::ifstream in(path);
  if (!in) return Status::IoError(path + ": cannot open configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string dir = ".";
  auto slash = path.rfind('/');
  if (slash != std::string::npos) dir = path.substr(0, slash);
  Config cfg;
  cfg.file = path;
  cfg.base_dir = dir;
  YAML::Node root;
  try {
    root = YAML::Load(ss.str());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  Status s = ParseInto(root, &cfg);
  if (!s.ok()) return s;
  return cfg;
}

}  // namespace callguard
