#include "investigate/evidence_pack.h"

#include <igraph/igraph.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/subscribers.h"
#include "core/time.h"
#include "ingest/cdr_reader.h"
#include "ingest/csv_splitter.h"
#include "investigate/call_set.h"
#include "investigate/victims_run.h"

namespace callguard::investigate {

namespace {

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o.push_back(c);
    }
  return o;
}

std::string IpText(const IpAddress& ip) {
  if (!ip.present) return "";
  char buf[64];
  const uint8_t* b = ip.bytes;
  if (ip.is_v4()) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  } else {
    std::string s;
    for (int i = 0; i < 16; i += 2) {
      std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (b[i] << 8) | b[i + 1]);
      s += buf;
    }
    return s;
  }
  return buf;
}

Status WriteFile(const std::string& path, const std::string& data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::IoError(path + ": cannot create");
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  if (std::fclose(f) != 0 || !ok) return Status::IoError(path + ": write failed");
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An SVG picture of the operation's link graph (Fruchterman-Reingold, seeded: reproducible).
std::string GraphSvg(const std::vector<std::string>& nodes,
                     const std::vector<std::tuple<size_t, size_t, std::string>>& edges) {
  if (nodes.empty()) return "<p>No links recorded.</p>";
  igraph_t g;
  igraph_vector_int_t ev;
  igraph_vector_int_init(&ev, static_cast<igraph_integer_t>(2 * edges.size()));
  for (size_t i = 0; i < edges.size(); ++i) {
    VECTOR(ev)[2 * i] = std::get<0>(edges[i]);
    VECTOR(ev)[2 * i + 1] = std::get<1>(edges[i]);
  }
  igraph_create(&g, &ev, static_cast<igraph_integer_t>(nodes.size()), IGRAPH_UNDIRECTED);
  igraph_vector_int_destroy(&ev);
  igraph_matrix_t pos;
  igraph_matrix_init(&pos, 0, 0);
  igraph_rng_seed(igraph_rng_default(), 42);
  igraph_layout_fruchterman_reingold(&g, &pos, false, 300, std::sqrt(double(nodes.size())),
                                     IGRAPH_LAYOUT_NOGRID, nullptr, nullptr, nullptr, nullptr,
                                     nullptr);
  double minx = 1e300, maxx = -1e300, miny = 1e300, maxy = -1e300;
  for (size_t i = 0; i < nodes.size(); ++i) {
    minx = std::min(minx, MATRIX(pos, i, 0));
    maxx = std::max(maxx, MATRIX(pos, i, 0));
    miny = std::min(miny, MATRIX(pos, i, 1));
    maxy = std::max(maxy, MATRIX(pos, i, 1));
  }
  auto X = [&](size_t i) {
    return 20 + 760 * (MATRIX(pos, i, 0) - minx) / std::max(1e-9, maxx - minx);
  };
  auto Y = [&](size_t i) {
    return 20 + 460 * (MATRIX(pos, i, 1) - miny) / std::max(1e-9, maxy - miny);
  };
  std::string svg =
      "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 800 500' width='800' height='500' "
      "role='img' aria-label='operation graph'>";
  char buf[256];
  for (const auto& [a, b, kinds] : edges) {
    bool strong = kinds.find("device") != std::string::npos ||
                  kinds.find("same_callees") != std::string::npos;
    std::snprintf(
        buf, sizeof buf,
        "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='1'><title>", X(a),
        Y(a), X(b), Y(b), strong ? "#b91c1c" : "#9ca3af");
    svg += buf + Esc(kinds) + "</title></line>";
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "<circle cx='%.1f' cy='%.1f' r='4' fill='#1d4ed8'><title>", X(i),
                  Y(i));
    svg += buf + Esc(nodes[i]) + "</title></circle>";
  }
  svg += "</svg>";
  igraph_matrix_destroy(&pos);
  igraph_destroy(&g);
  return svg;
}

}  // namespace

Result<PackSummary> WriteEvidencePack(const Config& cfg, const PackInputs& in,
                                      const std::string& dir) {
  PackSummary sum;
  sum.pseudonymised = in.audience != "police";
  sum.key_id = KeyId(in.key);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(dir + ": " + ec.message());
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    return Status::InvalidArgument(dir +
                                   ": not empty (an evidence pack needs a directory of its own)");
  }
  const store::CaseRecord& c = in.kase;
  std::set<std::string> numbers, ops;
  for (const auto& l : c.links) (l.kind == "number" ? numbers : ops).insert(l.value);
  const std::string label = ops.empty() ? c.id : *ops.begin();
  const std::string secret = DeriveSecret(in.key, "callguard evidence-pack pseudonyms v1");
  auto pseudo = [&](const std::string& n) {
    return sum.pseudonymised ? "p-" + HmacSha256Hex(secret, n).substr(0, 20) : n;
  };

  // Calls to or from the case's numbers, in input order; the other party is a person reached.
  std::string calls =
      "call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress,trunk,"
      "origin_country,origin_ip,imei,cell,origid\n";
  CallSet set(cfg);
  auto norm = Normaliser::Create(cfg.engine.region);
  if (!norm.ok()) return norm.status();
  int64_t first = INT64_MAX, last = INT64_MIN;
  std::map<int64_t, std::pair<uint64_t, uint64_t>> hourly;  // hour -> (calls, answered)
  for (const auto& path : in.calls_files) {
    auto reader = CdrReader::Open(path, CdrFormat::kAuto, cfg, norm->get());
    if (!reader.ok()) return reader.status();
    Call call;
    Rejected rej;
    for (;;) {
      auto o = (*reader)->Next(&call, &rej);
      if (o == CdrReader::Outcome::kEnd) break;
      if (o != CdrReader::Outcome::kCall) continue;
      bool from = numbers.count(call.caller.text) > 0, to = numbers.count(call.callee.text) > 0;
      if (!from && !to) continue;
      set.Add(call);
      ++sum.calls;
      first = std::min(first, call.start_ms);
      last = std::max(last, call.start_ms);
      auto& h = hourly[call.start_ms / 3600000];
      ++h.first;
      h.second += call.answered;
      char buf[64];
      std::snprintf(buf, sizeof buf, ",%d,%g,%g,", call.answered ? 1 : 0, call.duration_s,
                    call.ring_s < 0 ? 0 : call.ring_s);
      calls += CsvField(call.call_id) + "," + FormatRfc3339(call.start_ms) + "," +
               CsvField(from ? call.caller.text : pseudo(call.caller.text)) + "," +
               CsvField(to ? call.callee.text : pseudo(call.callee.text)) + buf +
               std::string(ToString(call.ingress)) + "," + CsvField(call.trunk) + "," +
               call.origin_country + "," + IpText(call.origin_ip) + "," + CsvField(call.imei) +
               "," + CsvField(call.cell) + "," + CsvField(call.origid) + "\n";
    }
    CG_RETURN_IF_ERROR((*reader)->status());
  }
  CG_RETURN_IF_ERROR(WriteFile(dir + "/calls.csv", calls));

  // The people reached, graded as `investigate victims` would with the case as the operation.
  std::vector<std::string> op_of(set.numbers().size());
  for (uint32_t i = 0; i < set.numbers().size(); ++i)
    if (numbers.count(set.numbers()[i].text)) op_of[i] = label;
  std::shared_ptr<Subscribers> subs;
  if (!in.subscribers_file.empty()) {
    SubscriberLoadStats st;
    auto loaded = Subscribers::Load(in.subscribers_file, set.normaliser(), &st);
    if (!loaded.ok()) return loaded.status();
    subs = std::make_shared<Subscribers>(std::move(loaded).value());
  }
  VictimsResult vr = GradeVictims(set, op_of, 2.0, cfg.investigate, subs.get());
  std::string victims =
      "person,grade,reasons,connected_s,longest_call_s,contacts,callbacks,age_band,vulnerable,"
      "first_contact,last_contact\n";
  std::vector<const Victim*> vs;
  for (const Victim& v : vr.victims) vs.push_back(&v);
  std::sort(vs.begin(), vs.end(), [&](const Victim* a, const Victim* b) {
    int ga = GradeRank(a->grade), gb = GradeRank(b->grade);
    return ga != gb ? ga > gb : pseudo(a->number) < pseudo(b->number);
  });
  std::map<std::string, uint64_t> by_grade;
  for (const Victim* v : vs) {
    std::string reasons;
    for (const auto& r : v->reasons) reasons += (reasons.empty() ? "" : ";") + r;
    char buf[128];
    std::snprintf(buf, sizeof buf, ",%.0f,%.0f,%u,%u,%s,%d,", v->connected_s, v->longest_s,
                  v->contacts, v->callbacks, AgeBandName(v->age), v->vulnerable ? 1 : 0);
    victims += pseudo(v->number) + "," + v->grade + "," + reasons + buf +
               FormatRfc3339(v->first_ms) + "," + FormatRfc3339(v->last_ms) + "\n";
    ++by_grade[v->grade];
  }
  sum.victims = vs.size();
  CG_RETURN_IF_ERROR(WriteFile(dir + "/victims.csv", victims));

  // Subscriber rows of the people reached (only with a table; pseudonymised like the rest).
  if (subs) {
    std::string rows = "number,age_band,vulnerable\n";
    for (const Victim* v : vs) {
      Number n;
      (*norm)->Normalise(v->number, &n);
      const Subscriber* s = subs->Find(n.key);
      if (!s) continue;
      rows +=
          pseudo(v->number) + "," + AgeBandName(s->age) + "," + (s->vulnerable ? "1" : "0") + "\n";
    }
    CG_RETURN_IF_ERROR(WriteFile(dir + "/subscribers.csv", rows));
  }

  // The case's operations, as grouped, with their link evidence.
  std::string ops_out;
  std::vector<std::string> nodes;
  std::map<std::string, size_t> node_index;
  std::vector<std::tuple<size_t, size_t, std::string>> edges;
  std::string evidence_rows;
  if (!in.ops_dir.empty()) {
    std::ifstream f(in.ops_dir + "/operations.jsonl");
    if (!f) return Status::IoError(in.ops_dir + "/operations.jsonl: cannot open");
    for (std::string line; std::getline(f, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !ops.count(j.value("id", ""))) continue;
      ops_out += line + "\n";
      auto node = [&](const std::string& n) {
        auto [it, fresh] = node_index.try_emplace(n, nodes.size());
        if (fresh) nodes.push_back(n);
        return it->second;
      };
      for (const auto& l : j.value("links", nlohmann::json::array())) {
        std::string kinds;
        for (const auto& e : l["evidence"])
          kinds += (kinds.empty() ? "" : ", ") + e.value("kind", "");
        edges.push_back({node(l.value("a", "")), node(l.value("b", "")), kinds});
        if (edges.size() <= 50)
          evidence_rows += "<tr><td>" + Esc(l.value("a", "")) + "</td><td>" +
                           Esc(l.value("b", "")) + "</td><td>" + Esc(kinds) + "</td><td>" +
                           Esc(l["weight"].dump()) + "</td></tr>";
      }
    }
  }
  CG_RETURN_IF_ERROR(WriteFile(dir + "/operations.jsonl", ops_out));

  // The case record.
  nlohmann::ordered_json cj;
  cj["id"] = c.id;
  cj["title"] = c.title;
  cj["status"] = c.status;
  cj["notes"] = c.notes;
  cj["created_at"] = FormatRfc3339(c.created_ms);
  cj["updated_at"] = FormatRfc3339(c.updated_ms);
  auto links = nlohmann::ordered_json::array();
  for (const auto& l : c.links) links.push_back({{"kind", l.kind}, {"value", l.value}});
  cj["links"] = links;
  auto enf = nlohmann::ordered_json::array();
  std::string enf_rows;
  for (const auto& e : c.enforcement) {
    auto d = nlohmann::json::parse(e.details, nullptr, false);
    enf.push_back({{"action", e.action},
                   {"occurred_at", FormatRfc3339(e.occurred_ms)},
                   {"place", e.place},
                   {"agency", e.agency},
                   {"details", d.is_discarded() ? nlohmann::json::object() : d}});
    enf_rows += "<tr><td>" + FormatRfc3339(e.occurred_ms) + "</td><td>" + Esc(e.action) +
                "</td><td>" + Esc(e.place) + "</td><td>" + Esc(e.agency) + "</td><td><code>" +
                Esc(e.details) + "</code></td></tr>";
  }
  cj["enforcement"] = enf;
  cj["audience"] = in.audience;
  cj["pseudonymised"] = sum.pseudonymised;
  CG_RETURN_IF_ERROR(WriteFile(dir + "/case.json", cj.dump(1) + "\n"));

  // The report.
  std::string timeline;
  if (!hourly.empty()) {
    uint64_t peak = 1;
    for (const auto& [h, v] : hourly) peak = std::max(peak, v.first);
    int64_t h0 = hourly.begin()->first, h1 = hourly.rbegin()->first;
    size_t n = static_cast<size_t>(std::min<int64_t>(h1 - h0 + 1, 24 * 31));
    double w = 760.0 / n;
    timeline =
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 800 220' width='800' height='220' "
        "role='img' aria-label='calls per hour'>";
    char buf[256];
    for (const auto& [h, v] : hourly) {
      if (h - h0 >= static_cast<int64_t>(n)) break;
      double x = 20 + (h - h0) * w, hc = 180.0 * v.first / peak, ha = 180.0 * v.second / peak;
      std::snprintf(
          buf, sizeof buf,
          "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#93c5fd'><title>%s: %llu "
          "calls, %llu answered</title></rect>"
          "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#1d4ed8'/>",
          x, 200 - hc, std::max(1.0, w - 1), hc, FormatRfc3339(h * 3600000).substr(0, 13).c_str(),
          static_cast<unsigned long long>(v.first), static_cast<unsigned long long>(v.second), x,
          200 - ha, std::max(1.0, w - 1), ha);
      timeline += buf;
    }
    timeline +=
        "</svg><p class='note'>Calls per hour (UTC) to and from the case's numbers; dark: "
        "answered.</p>";
  }
  std::string victim_rows;
  size_t shown = 0;
  for (const Victim* v : vs) {
    if (GradeRank(v->grade) < 1 || ++shown > 200) continue;
    std::string reasons;
    for (const auto& r : v->reasons) reasons += (reasons.empty() ? "" : ", ") + r;
    victim_rows += "<tr><td>" + Esc(pseudo(v->number)) + "</td><td>" + v->grade + "</td><td>" +
                   Esc(reasons) + "</td><td>" +
                   std::to_string(static_cast<int64_t>(v->connected_s)) + "</td></tr>";
  }
  std::string html =
      "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Case " + Esc(c.id) +
      "</title><style>body{font:14px system-ui,sans-serif;max-width:860px;margin:2em "
      "auto;color:#111}"
      "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:3px "
      "6px;text-align:left}"
      ".note{color:#555}</style></head><body>"
      "<h1>" +
      Esc(c.title) + "</h1><p>Case <code>" + Esc(c.id) + "</code>, status " + Esc(c.status) +
      ". Evidence pack for the " + Esc(in.audience) +
      (sum.pseudonymised ? "; the numbers of the people reached are pseudonymised."
                         : "; numbers in clear.") +
      " Signed by key <code>" + sum.key_id +
      "</code>: check with <code>callguard case verify</code>.</p>"
      "<h2>Summary</h2><table><tr><th>numbers</th><td>" +
      std::to_string(numbers.size()) + "</td></tr><tr><th>operations</th><td>" +
      std::to_string(ops.size()) + "</td></tr><tr><th>calls</th><td>" + std::to_string(sum.calls) +
      "</td></tr><tr><th>first call</th><td>" + (sum.calls ? FormatRfc3339(first) : "") +
      "</td></tr><tr><th>last call</th><td>" + (sum.calls ? FormatRfc3339(last) : "") +
      "</td></tr><tr><th>people reached</th><td>" + std::to_string(vs.size()) + " (critical " +
      std::to_string(by_grade["critical"]) + ", high " + std::to_string(by_grade["high"]) +
      ", medium " + std::to_string(by_grade["medium"]) +
      ")</td></tr></table>"
      "<h2>Notes</h2><p>" +
      Esc(c.notes) +
      "</p>"
      "<h2>Enforcement "
      "log</h2><table><tr><th>when</th><th>action</th><th>place</th><th>agency</th><th>details</"
      "th></tr>" +
      enf_rows + "</table><h2>Timeline</h2>" + timeline + "<h2>The operation's graph</h2>" +
      GraphSvg(nodes, edges) +
      "<p class='note'>Numbers linked by evidence; red: a strong kind (shared device, same callee "
      "set).</p>"
      "<h2>Link "
      "evidence</h2><table><tr><th>number</th><th>number</th><th>evidence</th><th>weight</th></"
      "tr>" +
      evidence_rows +
      "</table><h2>People reached (medium and "
      "above)</h2><table><tr><th>person</th><th>grade</th><th>reasons</th><th>connected "
      "s</th></tr>" +
      victim_rows + "</table></body></html>\n";
  CG_RETURN_IF_ERROR(WriteFile(dir + "/report.html", html));

  // The manifest: every file's hash, signed.
  nlohmann::json files = nlohmann::json::array();
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    auto data = ReadFile(dir + "/" + n);
    if (!data.ok()) return data.status();
    files.push_back({{"path", n}, {"sha256", Sha256HexOf(*data)}, {"bytes", data->size()}});
  }
  sum.files = names.size();
  nlohmann::json m = {
      {"format", "callguard-evidence-pack/1"},
      {"case", c.id},
      {"audience", in.audience},
      {"pseudonymised", sum.pseudonymised},
      {"created", FormatRfc3339(c.updated_ms)},
      {"files", files},
      {"signer",
       {{"algorithm", "Ed25519"}, {"public_key", PublicKeyText(in.key)}, {"key_id", sum.key_id}}}};
  auto sig = Sign(in.key, m.dump());
  if (!sig.ok()) return sig.status();
  m["signature"] = *sig;
  CG_RETURN_IF_ERROR(WriteFile(dir + "/manifest.json", m.dump(1) + "\n"));
  return sum;
}

PackCheck VerifyEvidencePack(const std::string& dir, EVP_PKEY* pinned) {
  PackCheck out;
  auto text = ReadFile(dir + "/manifest.json");
  if (!text.ok()) {
    out.problems.push_back("manifest.json: cannot read");
    return out;
  }
  auto m = nlohmann::json::parse(*text, nullptr, false);
  if (m.is_discarded() || !m.is_object() || !m.contains("signature") || !m.contains("files") ||
      !m.contains("signer") || !m["signature"].is_string() || !m["files"].is_array()) {
    out.problems.push_back("manifest.json: not an evidence-pack manifest");
    return out;
  }
  std::string sig = m["signature"].get<std::string>();
  m.erase("signature");
  auto pub = PublicKeyFromText(m["signer"].value("public_key", ""));
  if (!pub.ok()) {
    out.problems.push_back("manifest.json: " + std::string(pub.status().message()));
    return out;
  }
  out.key_id = KeyId(pub->get());
  if (pinned && EVP_PKEY_eq(pinned, pub->get()) != 1)
    out.problems.push_back("signed by key " + out.key_id + ", not by the expected key " +
                           KeyId(pinned));
  if (!VerifySignature(pub->get(), m.dump(), sig))
    out.problems.push_back("manifest.json: the signature does not match its content");
  std::set<std::string> listed;
  for (const auto& f : m["files"]) {
    std::string path = f.value("path", "");
    listed.insert(path);
    if (path.empty() || path.find('/') != std::string::npos || path == "manifest.json") {
      out.problems.push_back("manifest.json: bad path '" + path + "'");
      continue;
    }
    auto data = ReadFile(dir + "/" + path);
    if (!data.ok()) {
      out.problems.push_back(path + ": missing");
      continue;
    }
    if (Sha256HexOf(*data) != f.value("sha256", "") ||
        data->size() != f.value("bytes", uint64_t{0}))
      out.problems.push_back(path + ": changed (SHA-256 differs from the manifest)");
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string n = e.path().filename();
    if (n != "manifest.json" && !listed.count(n))
      out.problems.push_back(n + ": not in the manifest (added after signing)");
  }
  out.ok = out.problems.empty();
  return out;
}

}  // namespace callguard::investigate
