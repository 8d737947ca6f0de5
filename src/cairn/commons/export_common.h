// Helpers shared by the formats built from a bundle (RO-Crate, PROV, model
// card, curves): lookups into the bundle JSON that never throw.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/trial.h"

namespace cairn::commons {

// bundle["trials"] entry with this number, or nullptr.
const nlohmann::json* FindTrial(const nlohmann::json& bundle, int number);
// The recorded points of trial `number`: [[key, step, value, time]...] (empty when none).
const nlohmann::json& TrialMetrics(const nlohmann::json& bundle, int number);
// A blob body from the bundle, or null.
nlohmann::json BundleBlob(const nlohmann::json& bundle, const nlohmann::json& hash);
// trial.attrs.context, or an empty object.
nlohmann::json TrialContext(const nlohmann::json& trial);
// A number from a bundle field that may be null or "nan"/"inf"; nullopt when not finite or absent.
std::optional<double> FiniteNumber(const nlohmann::json& j);
// study.direction parsed (maximize when unknown).
Direction StudyDirection(const nlohmann::json& bundle);
// The program's display name from the study's command template:
// "python3 train.py" for ["/usr/bin/python3", "train.py", "--lr", "{lr}"].
std::string ProgramName(const nlohmann::json& bundle);
// The code version of the study: "<commit>" or "<commit>-dirty", "" when unknown.
std::string CodeVersionString(const nlohmann::json& bundle);
// "file:///abs/path" with characters outside the URI path set percent-encoded.
std::string FileUri(const std::string& absolute_path);
// One argv word as a shell needs it to be pasted back: as is when it holds
// only characters no shell treats specially, else in single quotes.
std::string ShellWord(const std::string& word);
// Per metric key: points of trial `number` in step order as (step, value, time).
struct SeriesPoint {
  int64_t step = 0;
  double value = 0.0;
  double time = 0.0;
};
std::map<std::string, std::vector<SeriesPoint>> TrialSeries(const nlohmann::json& bundle, int number);

}  // namespace cairn::commons
