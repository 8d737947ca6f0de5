// Test-only replay of recorded learning curves through a Scheduler, with the
// benchmark protocol of `cairn bench schedulers` and of the Optuna figures in
// shared/data/curves/peer/:
//   for repeat r in 0..repeats-1, order = the file's curves sorted by the hex
//   SHA-256 of "<r>:<id>", first n; trial t replays order[t] step by step
//   (steps 1..T); a stop ends it (kStopped), else it completes.
//   saved_fraction = 1 - epochs used / epochs of full runs;
//   regret = |best final of the n - best final among trials run to the end|.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/hash.h"
#include "cairn/scheduler.h"
#include "cairn/space.h"

namespace cairn::testing {

struct RecordedCurve {
  std::string id;
  std::vector<double> values;
  Params params;
};

struct CurveFile {
  Direction direction = Direction::kMaximize;
  int64_t max_steps = 0;
  std::vector<RecordedCurve> curves;
  SearchSpace space;  // SpaceOfParams of the curves' configurations, as the bench gives rules
};

// Reads a .jsonl.gz curve file (format: shared/data/curves/README.md).
inline std::optional<CurveFile> LoadCurveFile(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return std::nullopt;
  std::string text;
  char buf[1 << 16];
  int got = 0;
  while ((got = gzread(f, buf, sizeof buf)) > 0) text.append(buf, got);
  gzclose(f);
  CurveFile out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) {
      nlohmann::json j = nlohmann::json::parse(text.substr(start, end - start));
      RecordedCurve c{j.at("id").get<std::string>(), {}, {}};
      if (j.contains("params")) {
        auto params = ParamsFromJson(j.at("params"));
        if (!params.ok()) return std::nullopt;
        c.params = std::move(*params);
      }
      for (const auto& v : j.at("values")) c.values.push_back(v.is_null() ? NAN : v.get<double>());
      if (j.value("mode", "max") == "min") out.direction = Direction::kMinimize;
      out.max_steps = std::max<int64_t>(out.max_steps, c.values.size());
      out.curves.push_back(std::move(c));
    }
    start = end + 1;
  }
  std::vector<Params> configurations;
  for (const RecordedCurve& c : out.curves) configurations.push_back(c.params);
  out.space = SpaceOfParams(configurations);
  return out;
}

struct ReplayResult {
  double saved_fraction = 0;  // averaged over repeats
  double regret = 0;
  double found_best = 0;      // fraction of repeats that ran the best to its end
  double completed = 0;       // trials run to their end, per repeat
};

inline std::vector<const RecordedCurve*> BenchmarkOrder(const CurveFile& file, int repeat, int n) {
  std::vector<std::pair<std::string, const RecordedCurve*>> keyed;
  for (const auto& c : file.curves) {
    keyed.emplace_back(Sha256Hex(std::to_string(repeat) + ":" + c.id), &c);
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const RecordedCurve*> order;
  for (int i = 0; i < n && i < static_cast<int>(keyed.size()); ++i) order.push_back(keyed[i].second);
  return order;
}

inline double FinalOf(const RecordedCurve& c) {
  for (auto it = c.values.rbegin(); it != c.values.rend(); ++it) {
    if (std::isfinite(*it)) return *it;
  }
  return NAN;
}

// Runs `name` with `options` over the protocol; nullopt if MakeScheduler fails.
inline std::optional<ReplayResult> Replay(const CurveFile& file, const std::string& name,
                                          const nlohmann::json& options, int repeats = 5,
                                          int n = 200) {
  ReplayResult total;
  for (int r = 0; r < repeats; ++r) {
    SchedulerContext ctx{.direction = file.direction, .max_steps = file.max_steps,
                         .seed = static_cast<uint64_t>(r), .space = file.space};
    auto made = MakeScheduler(name, ctx, options);
    if (!made.ok()) return std::nullopt;
    Scheduler& s = **made;
    double used = 0, full = 0;
    std::optional<double> best_all, best_found;
    auto better = [&](std::optional<double>& best, double v) {
      if (!best || IsBetter(file.direction, v, *best)) best = v;
    };
    std::vector<const RecordedCurve*> order = BenchmarkOrder(file, r, n);
    for (size_t t = 0; t < order.size(); ++t) {
      const RecordedCurve& c = *order[t];
      const int64_t id = static_cast<int64_t>(t);
      full += c.values.size();
      better(best_all, FinalOf(c));
      s.OnTrialStart(id, c.params);
      bool stopped = false;
      for (size_t i = 0; i < c.values.size() && !stopped; ++i) {
        used += 1;
        if (!std::isfinite(c.values[i])) continue;  // costs an epoch, not reported
        stopped = s.OnReport(id, static_cast<int64_t>(i + 1), c.values[i]).stop();
      }
      s.OnTrialEnd(id, stopped ? TrialState::kStopped : TrialState::kCompleted);
      if (!stopped) better(best_found, FinalOf(c));
      if (!stopped) total.completed += 1.0 / repeats;
    }
    double regret = best_found ? std::fabs(*best_all - *best_found) : std::fabs(*best_all);
    total.saved_fraction += (1.0 - used / full) / repeats;
    total.regret += regret / repeats;
    total.found_best += (regret == 0.0 ? 1.0 : 0.0) / repeats;
  }
  return total;
}

}  // namespace cairn::testing
