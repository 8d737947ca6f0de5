#include "cairn/schedule/param_features.h"

#include <cmath>

#include <fmt/format.h>

namespace cairn::schedule {

ParamFeatures::ParamFeatures(const SearchSpace& space) {
  for (const ParamSpec& spec : space.params) {
    if (spec.kind == ParamKind::kCategorical) {
      const size_t k = spec.choices.size();
      if (k < 2 || k > kMaxChoices) {
        left_out_.push_back(k < 2 ? spec.name + " (one value)" : fmt::format("{} ({} choices)", spec.name, k));
        continue;
      }
      for (size_t i = 1; i < k; ++i) {
        columns_.push_back(Column{.name = spec.name + "=" + ParamValueToString(spec.choices[i]),
                                  .param = spec.name,
                                  .numeric = false,
                                  .choice = spec.choices[i]});
      }
      read_.push_back(fmt::format("{} ({} choices)", spec.name, k));
      continue;
    }
    const bool log = spec.log && spec.low > 0.0;
    const double low = log ? std::log(spec.low) : spec.low;
    const double high = log ? std::log(spec.high) : spec.high;
    // One value says nothing; a range wider than a double holds (-1e308 to
    // 1e308) would scale its ends to NaN.
    if (!(high > low) || !std::isfinite(high - low)) {
      left_out_.push_back(spec.name + (high > low ? " (range too wide)" : " (one value)"));
      continue;
    }
    columns_.push_back(
        Column{.name = spec.name, .param = spec.name, .numeric = true, .log = log, .low = low, .high = high});
    read_.push_back(log ? spec.name + " (log)" : spec.name);
  }
}

std::vector<std::string> ParamFeatures::Names() const {
  std::vector<std::string> names;
  for (const Column& c : columns_) names.push_back(c.name);
  return names;
}

std::vector<double> ParamFeatures::Encode(const Params& params) const {
  std::vector<double> out(columns_.size(), 0.0);
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& c = columns_[i];
    auto it = params.find(c.param);
    if (it == params.end()) continue;
    if (!c.numeric) {
      out[i] = it->second == c.choice ? 1.0 : 0.0;
      continue;
    }
    const std::optional<double> v = ParamValueAsDouble(it->second);
    if (!v || !std::isfinite(*v) || (c.log && *v <= 0.0)) continue;
    const double x = c.log ? std::log(*v) : *v;
    out[i] = (x - c.low) / (c.high - c.low);
  }
  return out;
}

}  // namespace cairn::schedule
