// CurveIndexReport: JSON and a plain-text table.
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "cairn/curve.h"

namespace cairn {

nlohmann::json CurveIndexReport::ToJson() const {
  nlohmann::json kinds = nlohmann::json::object();
  for (const auto& [kind, n] : kind_counts) kinds[std::string(CurveKindName(kind))] = n;
  nlohmann::json cells_json = nlohmann::json::array();
  for (const auto& c : cells) {
    nlohmann::json j = {{"kind", CurveKindName(c.kind)},
                        {"predictor", c.predictor},
                        {"fraction", c.fraction},
                        {"count", c.count},
                        {"failed", c.failed},
                        {"mean_abs_error", c.mean_abs_error},
                        {"median_abs_error", c.median_abs_error},
                        {"mean_norm_error", c.mean_norm_error},
                        {"median_norm_error", c.median_norm_error}};
    if (c.coverage >= 0) j["coverage"] = c.coverage;
    cells_json.push_back(std::move(j));
  }
  nlohmann::json ranking_json = nlohmann::json::object();
  for (const auto& [kind, names] : ranking) ranking_json[std::string(CurveKindName(kind))] = names;
  nlohmann::json stability_json = nlohmann::json::array();
  for (const auto& r : rank_stability) {
    stability_json.push_back({{"step", r.step},
                              {"count", r.count},
                              {"spearman", std::isfinite(r.spearman) ? nlohmann::json(r.spearman) : nlohmann::json()},
                              {"top_kept", r.top_kept}});
  }
  const std::optional<RankStability> safe = FirstSafeRung();
  return {{"num_curves", num_curves},
          {"num_used", num_used},
          {"file_range", file_range},
          {"kind_counts", kinds},
          {"cells", cells_json},
          {"ranking", ranking_json},
          {"rank_stability", stability_json},
          {"first_safe_rung", safe ? nlohmann::json{{"step", safe->step}, {"top_kept", safe->top_kept},
                                                    {"share", kSafeRungShare}}
                                   : nlohmann::json()}};
}

std::optional<RankStability> CurveIndexReport::FirstSafeRung(double share) const {
  for (const RankStability& r : rank_stability) {
    if (r.top_kept >= share) return r;
  }
  return std::nullopt;
}

std::string CurveIndexReport::ToTable() const {
  std::string out = fmt::format("{} curves ({} used), value range {:.4g}\nkinds:", num_curves, num_used,
                                file_range);
  for (const auto& [kind, n] : kind_counts) out += fmt::format(" {}={}", CurveKindName(kind), n);
  out += fmt::format("\n\n{:<13} {:>5} {:<15} {:>5} {:>7} {:>10} {:>10} {:>9} {:>9} {:>6}\n", "kind", "frac",
                     "predictor", "n", "failed", "mean_abs", "med_abs", "mean_nrm", "med_nrm", "cover");
  for (const auto& c : cells) {
    std::string cover = c.coverage >= 0 ? fmt::format("{:.2f}", c.coverage) : "-";
    out += fmt::format("{:<13} {:>5.2f} {:<15} {:>5} {:>6.1f}% {:>10.4g} {:>10.4g} {:>9.4f} {:>9.4f} {:>6}\n",
                       CurveKindName(c.kind), c.fraction, c.predictor, c.count,
                       c.count > 0 ? 100.0 * c.failed / c.count : 0.0, c.mean_abs_error, c.median_abs_error,
                       c.mean_norm_error, c.median_norm_error, cover);
  }
  out += "\npredictors: last_value, the last value seen (the baseline); ensemble, the families weighted by\n"
         "their fit; study_line, a line through the other curves' (level, final), as the predictive pruner\n"
         "learns from a study; then each family alone. A prefix of fewer than 3 points is scored for\n"
         "last_value and study_line only.\n"
         "failed: fits that failed or were absurd; they are scored as the last value's prediction.\n"
         "nrm: error / value range; cover: share of finals inside the 90 % interval.\n"
         "A kind with few curves (n) ranks its predictors on little evidence.\n";
  out += "\nranking (best first, by median normalised error over the fractions):\n";
  for (const auto& [kind, names] : ranking) {
    out += fmt::format("  {:<13}", CurveKindName(kind));
    for (const auto& name : names) out += " " + name;
    out += "\n";
  }
  if (!rank_stability.empty()) {
    out += "\nrank stability: how well each curve's level at a step ranks the finals\n"
           "(spearman: rank correlation; top_kept: share of the best tenth of finals within the top third at\n"
           "that step, what a successive-halving rung there keeps of them; a first rung belongs where it is high):\n";
    out += fmt::format("  {:>6} {:>7} {:>9} {:>9}\n", "step", "curves", "spearman", "top_kept");
    for (const auto& r : rank_stability) {
      std::string rho = std::isfinite(r.spearman) ? fmt::format("{:.2f}", r.spearman) : "-";
      out += fmt::format("  {:>6} {:>7} {:>9} {:>9.2f}\n", r.step, r.count, rho, r.top_kept);
    }
    const std::optional<RankStability> safe = FirstSafeRung();
    const int percent = static_cast<int>(std::lround(100 * kSafeRungShare));
    if (!safe) {
      out += fmt::format("no step here keeps {} % of the best tenth: rungs at these steps would stop most of the "
                         "eventual best (a rule without early rungs, such as median, is safer)\n", percent);
    } else if (safe->step == rank_stability.front().step) {
      out += fmt::format("a rung at the first step, {}, already keeps {:.0f} % of the best tenth\n", safe->step,
                         100 * safe->top_kept);
    } else {
      out += fmt::format("the first step whose rung keeps {} % or more of the best tenth is {} ({:.0f} %): rungs "
                         "before it stop more of the eventual best; for a study like this, a first rung there "
                         "(min_resource: {})\n", percent, safe->step, 100 * safe->top_kept, safe->step);
    }
  }
  return out;
}

}  // namespace cairn
