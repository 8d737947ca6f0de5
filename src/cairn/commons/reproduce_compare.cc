// CompareContexts: the warnings `cairn reproduce` prints before it runs.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cairn/env_names.h"
#include "cairn/reproduce.h"
#include "cairn/utf8.h"

namespace cairn {
namespace {

using nlohmann::json;

std::string Short(const std::string& hash) { return hash.substr(0, 12); }

std::string Text(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "(none)";
  return j.dump();
}

void ComparePackages(const std::string& what, const json& old_map, const json& new_map,
                     std::vector<std::string>* out) {
  if (!old_map.is_object() || !new_map.is_object()) return;
  std::set<std::string> names;
  for (auto it = old_map.begin(); it != old_map.end(); ++it) names.insert(it.key());
  for (auto it = new_map.begin(); it != new_map.end(); ++it) names.insert(it.key());
  for (const auto& name : names) {
    json a = old_map.value(name, json());
    json b = new_map.value(name, json());
    if (a != b) out->push_back(fmt::format("{} package {}: {} -> {}", what, name, Text(a), Text(b)));
  }
}

// Untracked files, leaving out Cairn's own folder (store, trial folders,
// fingerprint cache), which grows with every run in the work tree.
std::set<std::string> UntrackedSet(const json& code) {
  std::set<std::string> out;
  for (const auto& u : code.value("untracked", json::array())) {
    if (u.is_string() && u.get<std::string>().rfind(".cairn/", 0) != 0) out.insert(u.get<std::string>());
  }
  return out;
}

std::set<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  for (const auto& x : a) if (!b.count(x)) out.insert(x);
  return out;
}

// "a, b, c and 4 more" or "none".
std::string Names(const std::set<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  size_t shown = 0;
  for (const auto& n : names) {
    if (shown == 5) break;
    out += (shown++ ? ", " : "") + n;
  }
  if (names.size() > shown) out += fmt::format(" and {} more", names.size() - shown);
  return out;
}

void CompareCode(const json& a, const json& b, std::vector<std::string>* out) {
  if (!a.is_object() || !b.is_object()) return;
  if (!a.value("is_repo", false)) return;  // nothing was known then
  if (!b.value("is_repo", false)) {
    out->push_back("code: the trial ran from a git work tree, the work folder is not one now");
    return;
  }
  std::string ca = a.value("commit", ""), cb = b.value("commit", "");
  if (ca != cb) out->push_back(fmt::format("code: commit {} was recorded, the work tree is at {}", Text(ca), Text(cb)));
  std::string da = a.value("diff_sha256", ""), db = b.value("diff_sha256", "");
  if (da != db) {
    out->push_back(fmt::format("code: uncommitted changes differ (recorded diff {}, now {})",
                               da.empty() ? "none" : Short(da), db.empty() ? "none" : Short(db)));
  }
  auto ua = UntrackedSet(a), ub = UntrackedSet(b);
  if (ua != ub) {
    out->push_back(fmt::format("code: untracked files differ (new: {}; gone: {})", Names(Minus(ub, ua)),
                               Names(Minus(ua, ub))));
  }
}

// The files the command names, by path as given: outside git the only
// record of the code, inside it a check that needs no commit.
void CompareProgramFiles(const json& a, const json& b, std::vector<std::string>* out) {
  if (!a.is_array()) return;  // recorded before Cairn hashed them
  std::map<std::string, json> now;
  if (b.is_array()) {
    for (const auto& f : b) now[f.value("path", "")] = f;
  }
  for (const auto& f : a) {
    const std::string path = f.value("path", "");
    auto it = now.find(path);
    if (it == now.end()) {
      out->push_back(fmt::format("code: {} was recorded (sha256 {}) and is not there now", path,
                                 f["sha256"].is_string() ? Short(f["sha256"].get<std::string>()) : "not taken"));
    } else if (f.value("sha256", json()) != it->second.value("sha256", json()) ||
               f.value("bytes", json()) != it->second.value("bytes", json())) {
      out->push_back(fmt::format("code: {} changed since the trial ran (sha256 {} -> {}, {} -> {} bytes)", path,
                                 Text(f.value("sha256", json())).substr(0, 12),
                                 Text(it->second.value("sha256", json())).substr(0, 12), Text(f.value("bytes", json())),
                                 Text(it->second.value("bytes", json()))));
    }
  }
}

void CompareSoftware(const json& a, const json& b, std::vector<std::string>* out) {
  if (!a.is_object() || !b.is_object()) return;
  const json& pa = a.value("python", json());
  const json& pb = b.value("python", json());
  if (pa.is_object() && pb.is_object()) {
    if (pa.value("version", "") != pb.value("version", "")) {
      out->push_back(fmt::format("python: {} -> {}", pa.value("version", "?"), pb.value("version", "?")));
    }
    ComparePackages("python", pa.value("packages", json::object()), pb.value("packages", json::object()), out);
  } else if (pa.is_object() != pb.is_object()) {
    out->push_back(fmt::format("python: {} -> {}", pa.is_object() ? pa.value("version", "?") : "(none)",
                               pb.is_object() ? pb.value("version", "?") : "(none)"));
  }
  ComparePackages("debian", a.value("debian", json::object()), b.value("debian", json::object()), out);
}

void CompareDatasets(const json& a, const json& b, std::vector<std::string>* out) {
  std::map<std::string, json> now;
  for (const auto& d : b) now[d.value("path", "")] = d;
  for (const auto& d : a) {
    std::string path = d.value("path", "");
    auto it = now.find(path);
    if (it == now.end()) continue;  // not declared now: the spec decides that
    const json& n = it->second;
    if (d.value("sha256", json()) != n.value("sha256", json())) {
      std::string where = d.contains("recorded_path")
                              ? fmt::format("{} (recorded at {})", path, d.value("recorded_path", ""))
                              : path;
      out->push_back(fmt::format("dataset {}: fingerprint changed ({} -> {}; {} files, {} bytes -> {} files, {} bytes)",
                                 where, Short(Text(d.value("sha256", json()))), Short(Text(n.value("sha256", json()))),
                                 d.value("files", 0), d.value("bytes", int64_t{0}), n.value("files", 0),
                                 n.value("bytes", int64_t{0})));
    }
  }
}

void CompareHost(const json& a, const json& b, std::vector<std::string>* out) {
  if (!a.is_object() || !b.is_object()) return;
  for (const char* key : {"hostname", "cpu_model", "cpu_cores", "memory_total_bytes", "os", "kernel", "arch"}) {
    if (a.value(key, json()) != b.value(key, json())) {
      out->push_back(fmt::format("host {}: {} -> {}", key, Text(a.value(key, json())), Text(b.value(key, json()))));
    }
  }
}

// Besides a session's variables: the GPU selection, which Cairn sets (the
// GPUs themselves are compared).
bool IgnoredVariable(const std::string& name) {
  return IsSessionVariable(name) || name == "CUDA_VISIBLE_DEVICES";
}

// Where two texts first differ, backed up to the start of a character.
size_t FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return Utf8FloorBoundary(a, i);
}

// About 40 bytes of `text` from about 10 before byte `from`, cut between
// characters, with "..." where something was left out.
std::string Excerpt(const std::string& text, size_t from) {
  constexpr size_t kMax = 40, kBefore = 10;
  const size_t start = from > kBefore ? Utf8FloorBoundary(text, from - kBefore) : 0;
  const std::string shown = Utf8Prefix(std::string_view(text).substr(start), kMax);
  return (start > 0 ? "..." : "") + shown + (start + shown.size() < text.size() ? "..." : "");
}

// Both values of a changed variable, short, and showing where they differ:
// two long PYTHONPATHs that share their first 40 bytes must not print alike.
std::string EnvChange(const std::string& name, const json& a, const json& b) {
  auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  if (a.is_null() || b.is_null()) {
    return fmt::format("{} {} -> {}", name, a.is_null() ? "(unset)" : Excerpt(text(a), 0),
                       b.is_null() ? "(unset)" : Excerpt(text(b), 0));
  }
  const std::string ta = text(a), tb = text(b);
  const size_t from = FirstDifference(ta, tb);
  return fmt::format("{} {} -> {}", name, Excerpt(ta, from), Excerpt(tb, from));
}

// One warning naming the variables that differ: a thread count, a library
// path or a seed variable changes results as surely as a package does, and
// the shell's variables are recorded, not restored.
void CompareEnv(const json& a, const json& b, std::vector<std::string>* out) {
  if (!a.is_object() || !b.is_object()) return;
  std::set<std::string> names;
  for (auto it = a.begin(); it != a.end(); ++it) names.insert(it.key());
  for (auto it = b.begin(); it != b.end(); ++it) names.insert(it.key());
  std::vector<std::string> changes;
  for (const auto& name : names) {
    if (IgnoredVariable(name)) continue;
    json old_value = a.value(name, json()), new_value = b.value(name, json());
    if (old_value == new_value) continue;
    changes.push_back(EnvChange(name, old_value, new_value));
  }
  if (changes.empty()) return;
  constexpr size_t kShown = 6;
  std::string list;
  for (size_t i = 0; i < std::min(changes.size(), kShown); ++i) list += (i ? "; " : "") + changes[i];
  if (changes.size() > kShown) {
    list += fmt::format("; and {} more (cairn show --json lists the recorded ones)", changes.size() - kShown);
  }
  out->push_back(fmt::format("environment: {} variable{} differ{}: {}", changes.size(), changes.size() == 1 ? "" : "s",
                             changes.size() == 1 ? "s" : "", list));
}

std::vector<std::string> GpuNames(const json& gpus) {
  std::vector<std::string> names;
  for (const auto& g : gpus) names.push_back(g.value("name", g.value("id", "unknown")));
  return names;
}

}  // namespace

std::vector<std::string> CompareContexts(const ContextSnapshot& recorded, const ContextSnapshot& current) {
  std::vector<std::string> out;
  CompareCode(recorded.code, current.code, &out);
  CompareProgramFiles(recorded.program_files, current.program_files, &out);
  CompareSoftware(recorded.software, current.software, &out);
  CompareDatasets(recorded.datasets, current.datasets, &out);
  CompareHost(recorded.host, current.host, &out);
  auto ga = GpuNames(recorded.gpus), gb = GpuNames(current.gpus);
  if (ga != gb) out.push_back(fmt::format("GPUs: {} -> {}", json(ga).dump(), json(gb).dump()));
  CompareEnv(recorded.env, current.env, &out);
  return out;
}

}  // namespace cairn
