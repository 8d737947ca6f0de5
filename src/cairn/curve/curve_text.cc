// Names and text forms of the curve types.
#include <fmt/format.h>

#include "cairn/curve.h"

namespace cairn {

std::string_view CurveRegimeName(CurveRegime regime) {
  switch (regime) {
    case CurveRegime::kTooFewPoints: return "too_few_points";
    case CurveRegime::kNoLearning: return "no_learning";
    case CurveRegime::kLearning: return "learning";
    case CurveRegime::kDiverging: return "diverging";
  }
  return "unknown";
}

nlohmann::json CurvePrediction::ToJson() const {
  nlohmann::json members_json = nlohmann::json::array();
  for (const auto& m : members) {
    members_json.push_back({{"family", CurveFamilyName(m.family)}, {"weight", m.weight}, {"value", m.value}});
  }
  // NaN is not JSON: a missing number is null.
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"target_step", target_step}, {"mean", num(mean)},   {"lower", num(lower)},
          {"upper", num(upper)},        {"stddev", num(stddev)}, {"interval", interval},
          {"ok", ok},                   {"regime", CurveRegimeName(regime)}, {"note", note},
          {"members", members_json}};
}

std::string FitSummary::BriefReport() const {
  std::string out = fmt::format("{} points, regime {}, {}/{} families fitted", num_points,
                                CurveRegimeName(regime), num_families_ok, fits.size());
  if (onset_index > 0) out += fmt::format(", fitted from point {}", onset_index);
  if (ended_non_finite) out += ", ended in NaN/inf";
  return out + fmt::format(", noise {:.3g}", noise);
}

}  // namespace cairn
