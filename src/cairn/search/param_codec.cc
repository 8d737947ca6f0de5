#include "cairn/search/param_codec.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

namespace cairn::search {
namespace {

double IntLow(const ParamSpec& spec) { return std::ceil(spec.low); }
double IntHigh(const ParamSpec& spec) { return std::floor(spec.high); }
double Lo(const ParamSpec& spec) { return spec.kind == ParamKind::kInt ? IntLow(spec) : spec.low; }
double Hi(const ParamSpec& spec) { return spec.kind == ParamKind::kInt ? IntHigh(spec) : spec.high; }
double StepOf(const ParamSpec& spec) { return spec.step.value_or(1.0); }

Status CheckNumeric(const ParamSpec& spec) {
  if (!std::isfinite(spec.low) || !std::isfinite(spec.high) || spec.low > spec.high ||
      !std::isfinite(spec.high - spec.low)) {
    return InvalidArgument(fmt::format("parameter '{}': bounds [{}, {}] are not finite and ordered",
                                       spec.name, spec.low, spec.high));
  }
  if (spec.kind == ParamKind::kInt && IntLow(spec) > IntHigh(spec)) {
    return InvalidArgument(fmt::format("parameter '{}': no integer lies in [{}, {}]", spec.name,
                                       spec.low, spec.high));
  }
  if (spec.log && spec.low <= 0) {
    return InvalidArgument(fmt::format("parameter '{}': log scale needs low > 0, got {}", spec.name,
                                       spec.low));
  }
  if (spec.step && !(*spec.step > 0 && std::isfinite(*spec.step))) {
    return InvalidArgument(fmt::format("parameter '{}': step must be positive, got {}", spec.name,
                                       *spec.step));
  }
  return Status::Ok();
}

}  // namespace

Status CheckSpace(const SearchSpace& space) {
  std::set<std::string> seen;
  for (const auto& spec : space.params) {
    if (spec.condition && !seen.count(spec.condition->parent)) {
      return InvalidArgument(fmt::format("parameter '{}': its condition names '{}', which is not an earlier parameter",
                                         spec.name, spec.condition->parent));
    }
    if (!seen.insert(spec.name).second) {
      return InvalidArgument(fmt::format("parameter '{}' is defined twice", spec.name));
    }
    if (spec.kind == ParamKind::kCategorical) {
      if (spec.choices.empty()) {
        return InvalidArgument(fmt::format("parameter '{}': categorical with no choices", spec.name));
      }
      continue;
    }
    CAIRN_TRY(CheckNumeric(spec));
  }
  return Status::Ok();
}

int64_t GridCount(const ParamSpec& spec) {
  // The small tolerance keeps 0.1-steps from losing their last point to rounding.
  double n = std::floor((Hi(spec) - Lo(spec)) / StepOf(spec) + 1e-9);
  return static_cast<int64_t>(n) + 1;
}

ParamValue GridValue(const ParamSpec& spec, int64_t k) {
  double v = std::min(Lo(spec) + static_cast<double>(k) * StepOf(spec), Hi(spec));
  if (spec.kind == ParamKind::kInt) return static_cast<int64_t>(std::llround(v));
  return std::clamp(CleanGridDecimal(v, spec.low, spec.high, StepOf(spec)), spec.low, spec.high);
}

double CleanGridDecimal(double v, double low, double high, double step) {
  // -0.3 + 3 * 0.1 is 5.55e-17, not 0: significant digits of the value
  // itself cannot clean that. Round to 15 significant digits of the range's
  // magnitude (above the rounding error of its arithmetic, far below any
  // step a grid can have), then read it back as the decimal it prints as.
  const double scale = std::max({std::fabs(low), std::fabs(high), step});
  if (!(scale > 0) || !std::isfinite(scale)) return CleanDecimal(v);
  const double quantum = std::pow(10.0, std::floor(std::log10(scale)) - 14);
  return CleanDecimal(std::round(v / quantum) * quantum);
}

double CleanDecimal(double v) {
  // 0.1 * 3 is 0.30000000000000004; 15 significant digits give back the
  // decimal the user meant (it lands on the intended value within an ulp).
  return std::strtod(fmt::format("{:.15g}", v).c_str(), nullptr);
}

ParamValue Snap(const ParamSpec& spec, double external) {
  if (spec.kind == ParamKind::kInt || spec.step) {
    double k = std::round((external - Lo(spec)) / StepOf(spec));
    k = std::clamp(k, 0.0, static_cast<double>(GridCount(spec) - 1));
    return GridValue(spec, static_cast<int64_t>(k));
  }
  return std::clamp(external, spec.low, spec.high);
}

std::optional<size_t> ChoiceIndex(const ParamSpec& spec, const ParamValue& value) {
  for (size_t i = 0; i < spec.choices.size(); ++i) {
    if (spec.choices[i] == value) return i;
  }
  if (std::holds_alternative<std::string>(value)) return std::nullopt;
  auto d = ParamValueAsDouble(value);
  for (size_t i = 0; i < spec.choices.size(); ++i) {
    if (std::holds_alternative<std::string>(spec.choices[i])) continue;
    if (ParamValueAsDouble(spec.choices[i]) == d) return i;
  }
  return std::nullopt;
}

std::optional<double> Encode(const ParamSpec& spec, const ParamValue& value) {
  if (spec.kind == ParamKind::kCategorical) {
    auto i = ChoiceIndex(spec, value);
    if (!i) return std::nullopt;
    return static_cast<double>(*i);
  }
  if (std::holds_alternative<std::string>(value)) return std::nullopt;
  double x = *ParamValueAsDouble(value);
  if (!std::isfinite(x)) return std::nullopt;
  if (!spec.log) return x;
  if (x <= 0) return std::nullopt;
  return std::log(x);
}

bool InSpace(const SearchSpace& space, const Params& params) {
  for (const auto& spec : space.params) {
    auto it = params.find(spec.name);
    if (it == params.end()) continue;
    if (spec.kind == ParamKind::kCategorical) {
      if (!ChoiceIndex(spec, it->second)) return false;
      continue;
    }
    if (std::holds_alternative<std::string>(it->second)) return false;
    double x = *ParamValueAsDouble(it->second);
    if (!(x >= spec.low && x <= spec.high)) return false;  // NaN is outside too
  }
  return true;
}

ParamValue Decode(const ParamSpec& spec, double internal) {
  if (spec.kind == ParamKind::kCategorical) {
    double i = std::clamp(std::round(internal), 0.0, static_cast<double>(spec.choices.size() - 1));
    return spec.choices[static_cast<size_t>(i)];
  }
  return Snap(spec, spec.log ? std::exp(internal) : internal);
}

ParamValue DrawUniform(const ParamSpec& spec, Rng& rng) {
  if (spec.kind == ParamKind::kCategorical) {
    return spec.choices[rng.Below(spec.choices.size())];
  }
  if (spec.log) {
    // Log ints spread their mass over [low - 0.5, high + 0.5] so the end
    // values get their fair share after rounding.
    double pad = spec.kind == ParamKind::kInt ? 0.5 : 0.0;
    double lo = std::log(Lo(spec) - pad), hi = std::log(Hi(spec) + pad);
    return Snap(spec, std::exp(rng.Uniform(lo, hi)));
  }
  if (spec.kind == ParamKind::kInt || spec.step) {
    return GridValue(spec, static_cast<int64_t>(rng.Below(static_cast<uint64_t>(GridCount(spec)))));
  }
  return std::clamp(rng.Uniform(spec.low, spec.high), spec.low, spec.high);
}

}  // namespace cairn::search
