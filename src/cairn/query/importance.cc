// ComputeImportance: forest + fANOVA, and the data preparation it needs.
#include "cairn/importance.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/query/forest.h"
#include "cairn/query/table.h"

namespace cairn {

namespace {

Status Validate(const ImportanceData& d, const ImportanceOptions& o) {
  if (d.features.empty()) return InvalidArgument("importance: no parameters to rank");
  if (d.y.empty()) return InvalidArgument("importance: no trials");
  if (d.x.size() != d.y.size()) return InvalidArgument("importance: x and y differ in length");
  if (o.trees < 1 || o.min_samples_leaf < 1 || o.max_depth < 1 || !(o.max_features > 0 && o.max_features <= 1)) {
    return InvalidArgument("importance: trees, min_samples_leaf and max_depth must be >= 1, max_features in (0, 1]");
  }
  for (size_t i = 0; i < d.x.size(); ++i) {
    if (d.x[i].size() != d.features.size()) return InvalidArgument(fmt::format("importance: row {} has the wrong width", i));
    if (!std::isfinite(d.y[i])) return InvalidArgument(fmt::format("importance: objective of row {} is not finite", i));
  }
  for (const auto& f : d.features) {
    if (f.categorical && (f.categories < 1 || f.categories > 63)) {
      return InvalidArgument(fmt::format("importance: parameter '{}' has {} categories (1 to 63 supported)", f.name, f.categories));
    }
  }
  return Status::Ok();
}

// The objective centred and scaled into [-1, 1]: shares of variance do not
// change, and a loss of 1e160 (one trial that diverged) no longer
// overflows the trees' variance into NaN, which once printed every share
// as 0. The mean is summed in parts of 1/n so values near 1e308 do not
// overflow either.
void StandardizeObjective(std::vector<double>& y) {
  double mean = 0.0;
  for (double v : y) mean += v / static_cast<double>(y.size());
  double scale = 0.0;
  for (double v : y) scale = std::max(scale, std::fabs(v - mean));
  if (!(scale > 0) || !std::isfinite(scale)) return;
  for (double& v : y) v = (v - mean) / scale;
}

// Whether the objective varies at all among the trials: it does not when
// every trial reached the same value (to rounding).
bool ObjectiveVaries(const std::vector<double>& y) {
  const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
  return *hi - *lo > 1e-12 * std::max({1.0, std::fabs(*lo), std::fabs(*hi)});
}

// Removes NaN (inactive parameters): a categorical feature gets one more
// category; a numeric one a region below its domain whose share of the
// widened domain is the share of trials without the parameter, and those
// trials sit in its middle. Widens empty numeric domains.
ImportanceData Prepare(const ImportanceData& in) {
  ImportanceData d = in;
  for (size_t j = 0; j < d.features.size(); ++j) {
    ImportanceFeature& f = d.features[j];
    size_t missing = 0;
    for (const auto& row : d.x) missing += std::isnan(row[j]);
    if (!f.categorical) {
      if (!(f.high > f.low)) f.high = f.low + 1.0;
      for (auto& row : d.x) if (!std::isnan(row[j])) row[j] = std::clamp(row[j], f.low, f.high);
    }
    if (missing == 0) continue;
    double fill = 0.0;
    if (f.categorical) {
      fill = f.categories++;
    } else {
      double m = static_cast<double>(missing) / static_cast<double>(d.x.size());
      double extra = m >= 1.0 ? 1.0 : (f.high - f.low) * m / (1.0 - m);
      f.low -= extra;
      fill = f.low + extra / 2;
    }
    for (auto& row : d.x) if (std::isnan(row[j])) row[j] = fill;
  }
  StandardizeObjective(d.y);
  return d;
}

}  // namespace

Result<ImportanceReport> ComputeImportance(const ImportanceData& input, const ImportanceOptions& options) {
  CAIRN_TRY(Validate(input, options));
  if (!ObjectiveVaries(input.y)) {
    return FailedPrecondition(fmt::format(
        "importance: the objective is {:g} in all {} trials, so no parameter explains any of it", input.y.front(),
        input.y.size()));
  }
  const ImportanceData data = Prepare(input);
  const auto forest = query::FitForest(data, options);
  const size_t n = data.features.size();
  std::vector<double> sum(n, 0.0), sum_sq(n, 0.0);
  int used = 0;
  for (const auto& tree : forest) {
    auto effects = query::TreeMainEffects(tree, data.features);
    if (effects.empty()) continue;
    ++used;
    for (size_t j = 0; j < n; ++j) {
      sum[j] += effects[j];
      sum_sq[j] += effects[j] * effects[j];
    }
  }
  ImportanceReport report;
  report.trials = static_cast<int>(data.y.size());
  double main_total = 0.0;
  for (size_t j = 0; j < n; ++j) {
    double mean = used > 0 ? sum[j] / used : 0.0;
    double var = used > 1 ? std::max(0.0, (sum_sq[j] - used * mean * mean) / (used - 1)) : 0.0;
    report.params.push_back({data.features[j].name, mean, std::sqrt(var)});
    main_total += mean;
  }
  report.interactions = used > 0 ? std::max(0.0, 1.0 - main_total) : 0.0;
  std::stable_sort(report.params.begin(), report.params.end(),
                   [](const ParamImportance& a, const ParamImportance& b) { return a.fraction > b.fraction; });
  return report;
}

nlohmann::json ImportanceJson(const ImportanceReport& r) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : r.params) params.push_back({{"name", p.name}, {"fraction", p.fraction}, {"spread", p.spread}});
  return {{"studies", r.studies}, {"trials", r.trials}, {"method", r.method}, {"params", params},
          {"interactions", r.interactions}};
}

std::string RenderImportance(const ImportanceReport& r) {
  query::Table table({"parameter", "importance", "± spread", ""});
  for (const auto& p : r.params) {
    int bar = static_cast<int>(std::lround(p.fraction * 40));
    table.AddRow({p.name, fmt::format("{:.3f}", p.fraction), fmt::format("{:.3f}", p.spread), std::string(bar, '#')});
  }
  std::string studies;
  for (const auto& s : r.studies) studies += (studies.empty() ? "" : ", ") + s;
  return fmt::format("{} completed trials of {}. Importance: the share of the objective's variance each\n"
                     "parameter explains alone (fANOVA on a random-forest surrogate; spread across its trees)\n\n",
                     r.trials, studies.empty() ? "-" : studies) +
         table.Render() + fmt::format("interactions and the rest: {:.3f}\n", r.interactions);
}

}  // namespace cairn
