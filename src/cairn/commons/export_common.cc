#include "cairn/commons/export_common.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "cairn/commons/bundle_codec.h"

namespace cairn::commons {

using nlohmann::json;

const json* FindTrial(const json& bundle, int number) {
  auto trials = bundle.find("trials");
  if (trials == bundle.end() || !trials->is_array()) return nullptr;
  for (const auto& t : *trials) {
    if (t.value("number", -1) == number) return &t;
  }
  return nullptr;
}

const json& TrialMetrics(const json& bundle, int number) {
  static const json kEmpty = json::array();
  auto metrics = bundle.find("metrics");
  if (metrics == bundle.end() || !metrics->is_object()) return kEmpty;
  auto it = metrics->find(std::to_string(number));
  return it == metrics->end() ? kEmpty : *it;
}

json BundleBlob(const json& bundle, const json& hash) {
  if (!hash.is_string()) return nullptr;
  auto blobs = bundle.find("blobs");
  if (blobs == bundle.end() || !blobs->is_object()) return nullptr;
  auto it = blobs->find(hash.get<std::string>());
  if (it == blobs->end() || !it->is_object()) return nullptr;
  return it->value("body", json());
}

std::string ShellWord(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_./=:,+-@%").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

json TrialContext(const json& trial) {
  auto attrs = trial.find("attrs");
  if (attrs == trial.end() || !attrs->is_object()) return json::object();
  auto c = attrs->find("context");
  return c != attrs->end() && c->is_object() ? *c : json::object();
}

std::optional<double> FiniteNumber(const json& j) {
  if (!j.is_number()) return std::nullopt;
  double v = j.get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

Direction StudyDirection(const json& bundle) {
  auto d = ParseDirection(bundle["study"].value("direction", "maximize"));
  return d.value_or(Direction::kMaximize);
}

std::string ProgramName(const json& bundle) {
  const json& command = bundle["study"]["spec_json"].value("command", json::array());
  std::vector<std::string> words;
  for (const auto& c : command) {
    if (!c.is_string()) break;
    std::string s = c.get<std::string>();
    if (s.empty() || s[0] == '-' || s.find('{') != std::string::npos) break;
    words.push_back(std::filesystem::path(s).filename().string());
    if (words.size() == 2) break;
  }
  if (words.empty()) return "training program";
  return words.size() == 1 ? words[0] : words[0] + " " + words[1];
}

std::string CodeVersionString(const json& bundle) {
  json context = StudyContext(bundle["study"]);
  if (!context.is_object()) return "";
  const json& code = context.value("code", json::object());
  std::string commit = code.value("commit", "");
  if (commit.empty()) return "";
  return code.value("dirty", false) ? commit + "-dirty" : commit;
}

std::string FileUri(const std::string& path) {
  std::string out = "file://";
  for (unsigned char c : path) {
    bool plain = std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    out += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return out;
}

std::map<std::string, std::vector<SeriesPoint>> TrialSeries(const json& bundle, int number) {
  std::map<std::string, std::vector<SeriesPoint>> out;
  for (const auto& row : TrialMetrics(bundle, number)) {
    if (!row.is_array() || row.size() != 4) continue;
    auto value = DecodeDouble(row[2], "value");
    auto time = DecodeDouble(row[3], "time");
    if (!value.ok() || !time.ok() || !row[0].is_string() || !row[1].is_number_integer()) continue;
    out[row[0].get<std::string>()].push_back({row[1].get<int64_t>(), *value, *time});
  }
  return out;  // rows are already in (key, step, time) order
}

}  // namespace cairn::commons
