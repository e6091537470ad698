#include "investigate/operations.h"

#include <igraph/igraph.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/hash.h"
#include "core/time.h"
#include "ingest/csv_splitter.h"

namespace callguard::investigate {

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Leiden (CPM) over the linked numbers. Returns a community index per vertex.
Status Leiden(size_t vertices, const std::vector<std::pair<uint32_t, uint32_t>>& edges,
              const std::vector<double>& weights, const OpsConfig& cfg,
              std::vector<int64_t>* membership, double* quality) {
  igraph_t g;
  igraph_vector_int_t ev;
  igraph_vector_int_init(&ev, static_cast<igraph_integer_t>(2 * edges.size()));
  for (size_t i = 0; i < edges.size(); ++i) {
    VECTOR(ev)[2 * i] = edges[i].first;
    VECTOR(ev)[2 * i + 1] = edges[i].second;
  }
  igraph_error_t err =
      igraph_create(&g, &ev, static_cast<igraph_integer_t>(vertices), IGRAPH_UNDIRECTED);
  igraph_vector_int_destroy(&ev);
  if (err != IGRAPH_SUCCESS) return Status::Unavailable("igraph_create failed");
  igraph_vector_t w;
  igraph_vector_init(&w, static_cast<igraph_integer_t>(weights.size()));
  for (size_t i = 0; i < weights.size(); ++i) VECTOR(w)[i] = weights[i];
  igraph_vector_int_t memb;
  igraph_vector_int_init(&memb, 0);
  igraph_integer_t nb = 0;
  igraph_real_t q = 0;
  igraph_rng_seed(igraph_rng_default(), static_cast<igraph_uint_t>(cfg.seed));
  // beta 0.01 (randomness of the refinement), iterate until the partition is stable.
  err = igraph_community_leiden(&g, &w, nullptr, cfg.resolution, 0.01, false, -1, &memb, &nb, &q);
  if (err == IGRAPH_SUCCESS) {
    membership->resize(vertices);
    for (size_t i = 0; i < vertices; ++i) (*membership)[i] = VECTOR(memb)[i];
    *quality = q;
  }
  igraph_vector_int_destroy(&memb);
  igraph_vector_destroy(&w);
  igraph_destroy(&g);
  if (err != IGRAPH_SUCCESS) return Status::Unavailable("igraph_community_leiden failed");
  return Status::Ok();
}

std::string TypeOf(const Operation& op, const std::vector<double>& gap_cv, double ring_median) {
  double calls = std::max<double>(1, op.calls);
  double answered = op.answered / calls;
  auto share = [&](const char* ingress) {
    auto it = op.ingress.find(ingress);
    return it == op.ingress.end() ? 0.0 : it->second / calls;
  };
  size_t regular = 0;
  for (double cv : gap_cv) regular += cv >= 0 && cv < 0.2;
  if (answered < 0.05 && ring_median < 6) return "wangiri";
  if (!gap_cv.empty() && regular * 2 > gap_cv.size()) return "robocall";
  if (!op.devices.empty() && share("mobile") > 0.5) return "simbox";
  if (share("international") + share("voip") > 0.5) return "call_centre";
  return "unknown";
}

}  // namespace

Result<OpsResult> FindOperations(const CallSet& set, const OpsConfig& cfg) {
  OpsResult res;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<uint32_t> cand = Candidates(set, cfg);
  res.links = BuildLinks(set, cand, cfg, &res.stats);
  res.seconds_links = Since(t0);

  // Vertices: the linked numbers.
  t0 = std::chrono::steady_clock::now();
  std::unordered_map<uint32_t, uint32_t> vid;
  std::vector<uint32_t> vnum;
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  std::vector<double> weights;
  auto v = [&](uint32_t num) {
    auto [it, fresh] = vid.try_emplace(num, static_cast<uint32_t>(vnum.size()));
    if (fresh) vnum.push_back(num);
    return it->second;
  };
  for (const Link& l : res.links) {
    edges.push_back({v(l.a), v(l.b)});
    weights.push_back(l.weight);
  }
  std::vector<int64_t> comm;
  if (!vnum.empty())
    CG_RETURN_IF_ERROR(Leiden(vnum.size(), edges, weights, cfg, &comm, &res.quality));
  res.seconds_leiden = Since(t0);

  t0 = std::chrono::steady_clock::now();
  const auto& nums = set.numbers();
  std::unordered_map<int64_t, std::vector<uint32_t>> groups;
  for (size_t i = 0; i < vnum.size(); ++i) groups[comm[i]].push_back(static_cast<uint32_t>(i));
  res.op_of.assign(nums.size(), -1);
  // Strength inside and in total per vertex.
  std::vector<double> inside(vnum.size(), 0), total(vnum.size(), 0), keep_in(vnum.size(), 1);
  std::vector<uint32_t> deg_in(vnum.size(), 0);
  for (size_t e = 0; e < edges.size(); ++e) {
    auto [x, y] = edges[e];
    total[x] += weights[e];
    total[y] += weights[e];
    if (comm[x] == comm[y]) {
      inside[x] += weights[e];
      inside[y] += weights[e];
      keep_in[x] *= 1 - weights[e];
      keep_in[y] *= 1 - weights[e];
      ++deg_in[x];
      ++deg_in[y];
    }
  }
  std::vector<Operation> ops;
  for (auto& [c, vs] : groups) {
    if (vs.size() < static_cast<size_t>(cfg.min_members)) continue;
    Operation op;
    std::vector<double> strengths;
    for (uint32_t x : vs) strengths.push_back(inside[x]);
    std::sort(strengths.begin(), strengths.end());
    double median = strengths[strengths.size() / 2];
    for (uint32_t x : vs) {
      Member m;
      m.number = vnum[x];
      m.confidence = (total[x] > 0 ? inside[x] / total[x] : 0) * (1 - keep_in[x]);
      m.role = deg_in[x] <= 1                          ? "peripheral"
               : inside[x] >= median && deg_in[x] >= 3 ? "core"
                                                       : "member";
      op.members.push_back(m);
    }
    std::sort(op.members.begin(), op.members.end(), [&](const Member& a, const Member& b) {
      return nums[a.number].text < nums[b.number].text;
    });
    ops.push_back(std::move(op));
  }
  std::sort(ops.begin(), ops.end(), [&](const Operation& a, const Operation& b) {
    if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
    return nums[a.members[0].number].text < nums[b.members[0].number].text;
  });
  for (size_t i = 0; i < ops.size(); ++i)
    for (const Member& m : ops[i].members) res.op_of[m.number] = static_cast<int32_t>(i);
  for (size_t li = 0; li < res.links.size(); ++li) {
    int32_t a = res.op_of[res.links[li].a], b = res.op_of[res.links[li].b];
    if (a >= 0 && a == b) ops[a].links.push_back(li);
  }

  // Summaries from the members' calls.
  struct Acc {
    std::unordered_set<uint32_t> reach, victims;
    std::vector<std::pair<int64_t, int>> events;  // for concurrency
    std::unordered_map<uint32_t, std::vector<int64_t>> times;
    std::vector<float> rings;
    std::unordered_map<uint32_t, int64_t> first_seen;
  };
  std::vector<Acc> acc(ops.size());
  const auto& attrs = set.attributes();
  for (const CallRec& r : set.calls()) {
    int32_t oc = res.op_of[r.caller];
    int32_t oe = res.op_of[r.callee];
    if (oc < 0 && oe >= 0 && !r.answered) continue;
    if (oc < 0) {
      if (oe >= 0) ++ops[oe].callbacks;  // someone calling an operation's number back
      continue;
    }
    Operation& op = ops[oc];
    Acc& a = acc[oc];
    if (op.calls == 0 || r.t_ms < op.first_ms) op.first_ms = r.t_ms;
    op.last_ms = std::max(op.last_ms, r.t_ms);
    ++op.calls;
    if (r.answered) {
      ++op.answered;
      op.connected_s += r.duration_s;
      if (r.duration_s >= 60) a.victims.insert(r.callee);
    }
    a.reach.insert(r.callee);
    a.events.push_back({r.t_ms, 1});
    a.events.push_back({r.end_ms(), -1});
    a.times[r.caller].push_back(r.t_ms);
    a.rings.push_back(r.ring_s);
    a.first_seen.try_emplace(r.caller, r.t_ms);
    ++op.ingress[std::string(ToString(r.ingress))];
    if (r.country) ++op.countries[set.countries()[r.country]];
    auto note = [&](AttrKind k, std::map<std::string, uint64_t>& m) {
      uint32_t id = r.attr[static_cast<int>(k)];
      if (id != kNoAttr) ++m[attrs[id].value];
    };
    note(AttrKind::kAddressBlock, op.address_blocks);
    note(AttrKind::kDevice, op.devices);
    note(AttrKind::kTrunk, op.trunks);
    note(AttrKind::kCell, op.cells);
    note(AttrKind::kOrigid, op.origids);
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    Operation& op = ops[i];
    Acc& a = acc[i];
    op.reach = a.reach.size();
    op.victims = a.victims.size();
    std::sort(a.events.begin(), a.events.end());
    int cur = 0;
    for (auto& [t, d] : a.events) op.agents = std::max(op.agents, cur += d);
    std::vector<double> cvs;
    for (auto& [num, ts] : a.times) {
      if (ts.size() < 10) continue;
      std::sort(ts.begin(), ts.end());
      double s = 0, s2 = 0;
      for (size_t k = 1; k < ts.size(); ++k) {
        double g = static_cast<double>(ts[k] - ts[k - 1]);
        s += g;
        s2 += g * g;
      }
      double nn = static_cast<double>(ts.size() - 1), mean = s / nn;
      double var = std::max(0.0, s2 / nn - mean * mean);
      cvs.push_back(mean > 0 ? std::sqrt(var) / mean : -1);
    }
    std::sort(a.rings.begin(), a.rings.end());
    double ring_median = a.rings.empty() ? 0 : a.rings[a.rings.size() / 2];
    op.type = TypeOf(op, cvs, ring_median);
    // The founding number: the earliest to call (ties by text) names the operation.
    uint32_t founder = op.members[0].number;
    int64_t best = INT64_MAX;
    for (const Member& m : op.members) {
      auto it = a.first_seen.find(m.number);
      int64_t t = it == a.first_seen.end() ? INT64_MAX - 1 : it->second;
      if (t < best || (t == best && nums[m.number].text < nums[founder].text)) {
        best = t;
        founder = m.number;
      }
    }
    char id[32];
    std::snprintf(id, sizeof id, "op-%010llx",
                  static_cast<unsigned long long>(Mix64(nums[founder].key) & 0xffffffffffULL));
    op.id = id;
  }
  res.operations = std::move(ops);
  res.seconds_summary = Since(t0);
  return res;
}

std::string OperationJson(const CallSet& set, const OpsResult& r, const Operation& op,
                          size_t max_links) {
  const auto& nums = set.numbers();
  nlohmann::ordered_json j;
  j["id"] = op.id;
  j["type"] = op.type;
  auto members = nlohmann::ordered_json::array();
  for (const Member& m : op.members) members.push_back(nums[m.number].text);
  j["members"] = members;
  j["first_seen"] = op.calls ? FormatRfc3339(op.first_ms) : "";
  j["last_seen"] = op.calls ? FormatRfc3339(op.last_ms) : "";
  j["calls"] = op.calls;
  j["answered"] = op.answered;
  j["connected_s"] = std::round(op.connected_s);
  j["reach"] = op.reach;
  j["victims"] = op.victims;
  j["callbacks"] = op.callbacks;
  j["estimated_agents"] = op.agents;
  j["origin_countries"] = op.countries;
  j["address_blocks"] = op.address_blocks;
  j["devices"] = op.devices;
  j["trunks"] = op.trunks;
  j["cells"] = op.cells;
  j["origids"] = op.origids;
  j["ingress"] = op.ingress;
  std::vector<size_t> order = op.links;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return r.links[a].weight > r.links[b].weight; });
  if (order.size() > max_links) order.resize(max_links);
  auto links = nlohmann::ordered_json::array();
  for (size_t li : order) {
    const Link& l = r.links[li];
    nlohmann::ordered_json e;
    e["a"] = nums[l.a].text;
    e["b"] = nums[l.b].text;
    e["weight"] = std::round(l.weight * 1000) / 1000;
    auto ev = nlohmann::ordered_json::array();
    for (const Evidence& x : l.evidence) {
      nlohmann::ordered_json k;
      k["kind"] = LinkKindName(x.kind);
      k["strong"] = x.strong;
      k["weight"] = std::round(x.weight * 1000) / 1000;
      if (x.kind == LinkKind::kCoCallee) {
        k["shared_callees"] = x.shared;
        k["lift"] = std::round(x.measure * 10) / 10;
      } else if (x.kind == LinkKind::kSameCallees) {
        k["jaccard"] = x.measure;
      } else if (x.kind == LinkKind::kCoActivity) {
        k["cosine"] = std::round(x.measure * 1000) / 1000;
      } else if (x.attr != kNoAttr) {
        k["value"] = set.attributes()[x.attr].value;
        k["callers_using_it"] = set.attributes()[x.attr].callers;
      }
      ev.push_back(k);
    }
    e["evidence"] = ev;
    links.push_back(e);
  }
  j["links_total"] = op.links.size();
  j["links"] = links;
  return j.dump();
}

Status WriteOperations(const CallSet& set, const OpsResult& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(dir + ": " + ec.message());
  const auto& nums = set.numbers();
  auto open = [&](const std::string& name, FILE** f) {
    *f = std::fopen((dir + "/" + name).c_str(), "w");
    return *f ? Status::Ok() : Status::IoError(dir + "/" + name + ": cannot create");
  };
  FILE* f = nullptr;
  CG_RETURN_IF_ERROR(open("membership.csv", &f));
  std::fputs("number,operation,confidence,role\n", f);
  for (const Operation& op : r.operations)
    for (const Member& m : op.members)
      std::fprintf(f, "%s,%s,%.3f,%s\n", CsvField(nums[m.number].text).c_str(), op.id.c_str(),
                   m.confidence, m.role.c_str());
  if (std::fclose(f) != 0) return Status::IoError(dir + "/membership.csv: write failed");
  CG_RETURN_IF_ERROR(open("operations.jsonl", &f));
  for (const Operation& op : r.operations) {
    std::string line = OperationJson(set, r, op, 500);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), f);
  }
  if (std::fclose(f) != 0) return Status::IoError(dir + "/operations.jsonl: write failed");
  CG_RETURN_IF_ERROR(open("edges.csv", &f));
  std::fputs("a,b,weight,evidence,operation_a,operation_b\n", f);
  for (const Link& l : r.links) {
    std::string ev;
    for (const Evidence& x : l.evidence) {
      if (!ev.empty()) ev += ';';
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s:%.3f", LinkKindName(x.kind), x.weight);
      ev += buf;
    }
    int32_t oa = r.op_of[l.a], ob = r.op_of[l.b];
    std::fprintf(f, "%s,%s,%.3f,%s,%s,%s\n", CsvField(nums[l.a].text).c_str(),
                 CsvField(nums[l.b].text).c_str(), l.weight, ev.c_str(),
                 oa >= 0 ? r.operations[oa].id.c_str() : "",
                 ob >= 0 ? r.operations[ob].id.c_str() : "");
  }
  if (std::fclose(f) != 0) return Status::IoError(dir + "/edges.csv: write failed");
  return Status::Ok();
}

}  // namespace callguard::investigate
