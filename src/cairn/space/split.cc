// SplitSpace: domain decomposition of a search space into overlapping
// sub-spaces (HyperSpace, Young et al. 2018). See include/cairn/space.h.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "cairn/space.h"

namespace cairn {
namespace {

// Grid arithmetic tolerates this much (in steps), so that 0.1-steps and
// exp(log(x)) do not lose a grid point to rounding.
constexpr double kGridSlack = 1e-9;

bool IsGrid(const ParamSpec& spec) { return spec.kind == ParamKind::kInt || spec.step.has_value(); }
double StepOf(const ParamSpec& spec) { return spec.step.value_or(1.0); }
// Ints live on the integers inside [low, high].
double Base(const ParamSpec& spec) { return spec.kind == ParamKind::kInt ? std::ceil(spec.low) : spec.low; }
double Top(const ParamSpec& spec) { return spec.kind == ParamKind::kInt ? std::floor(spec.high) : spec.high; }

double GridSize(const ParamSpec& spec) {
  return std::floor((Top(spec) - Base(spec)) / StepOf(spec) + kGridSlack) + 1.0;
}

bool CanSplit(const ParamSpec& spec) {
  if (spec.condition) return false;  // half of a sometimes-absent parameter is no region
  if (spec.kind == ParamKind::kCategorical) return spec.choices.size() >= 2;
  if (!std::isfinite(spec.low) || !std::isfinite(spec.high) || !(spec.low < spec.high)) return false;
  if (spec.log && spec.low <= 0) return false;
  return !IsGrid(spec) || GridSize(spec) >= 2;
}

// k-th grid point; floats come back as the decimal the user meant
// (0.1 * 3 is 0.30000000000000004; 15 significant digits undo that).
double GridPoint(const ParamSpec& spec, double k) {
  double v = Base(spec) + k * StepOf(spec);
  if (spec.kind == ParamKind::kInt) return v;
  return std::strtod(fmt::format("{:.15g}", v).c_str(), nullptr);
}

double GridFloor(const ParamSpec& spec, double x) {
  return GridPoint(spec, std::floor((x - Base(spec)) / StepOf(spec) + kGridSlack));
}

double GridCeil(const ParamSpec& spec, double x) {
  return GridPoint(spec, std::ceil((x - Base(spec)) / StepOf(spec) - kGridSlack));
}

// [low, high] halved in the parameter's own scale, each half reaching
// `overlap` x half the width past the middle (HyperSpace's rule).
void HalveNumber(const ParamSpec& spec, double overlap, ParamSpec& lower, ParamSpec& upper) {
  auto to = [&](double x) { return spec.log ? std::log(x) : x; };
  auto from = [&](double t) { return std::clamp(spec.log ? std::exp(t) : t, spec.low, spec.high); };
  const double a = to(Base(spec)), b = to(Top(spec));
  const double reach = 0.5 * (b - a) * (1.0 + overlap);
  double lower_end = from(a + reach), upper_start = from(b - reach);
  if (IsGrid(spec)) {
    lower_end = GridFloor(spec, lower_end);
    upper_start = GridCeil(spec, upper_start);
  }
  lower.high = lower_end;
  upper.low = upper_start;
}

// A choice list has no order to halve by value: each part keeps its end of
// the list, enough choices that the parts overlap by about `overlap`.
void HalveChoices(const ParamSpec& spec, double overlap, ParamSpec& lower, ParamSpec& upper) {
  const size_t k = spec.choices.size();
  const double half = static_cast<double>(k) / 2.0;
  const size_t keep = std::min(k, static_cast<size_t>(std::ceil(half) + std::floor(overlap * half)));
  lower.choices.assign(spec.choices.begin(), spec.choices.begin() + static_cast<std::ptrdiff_t>(keep));
  upper.choices.assign(spec.choices.end() - static_cast<std::ptrdiff_t>(keep), spec.choices.end());
}

Status CheckSplit(const SearchSpace& space, int parts, double overlap, size_t* bits) {
  if (parts < 2 || (parts & (parts - 1)) != 0) {
    return InvalidArgument(fmt::format("subspaces: expected a power of two >= 2, got {}", parts));
  }
  if (!(overlap >= 0.0 && overlap < 1.0)) {
    return InvalidArgument(fmt::format("overlap: expected a fraction in [0, 1), got {}", overlap));
  }
  *bits = 0;
  while ((1 << *bits) < parts) ++*bits;
  const std::vector<std::string> splittable = SplitParams(space);
  if (*bits > splittable.size()) {
    return InvalidArgument(fmt::format(
        "subspaces: {} needs {} parameters to split, but the space has {} that can be split "
        "(unconditional, two values or more){}{}",
        parts, *bits, splittable.size(), splittable.empty() ? "" : ": ", fmt::join(splittable, ", ")));
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> SplitParams(const SearchSpace& space) {
  std::vector<std::string> numbers, choices;
  for (const auto& spec : space.params) {
    if (!CanSplit(spec)) continue;
    (spec.kind == ParamKind::kCategorical ? choices : numbers).push_back(spec.name);
  }
  numbers.insert(numbers.end(), choices.begin(), choices.end());
  return numbers;
}

Result<std::vector<SearchSpace>> SplitSpace(const SearchSpace& space, int parts, double overlap) {
  size_t bits = 0;
  CAIRN_TRY(CheckSplit(space, parts, overlap, &bits));
  const std::vector<std::string> names = SplitParams(space);
  std::vector<SearchSpace> out(static_cast<size_t>(parts), space);
  for (size_t j = 0; j < bits; ++j) {
    auto at = std::find_if(space.params.begin(), space.params.end(),
                           [&](const ParamSpec& p) { return p.name == names[j]; });
    const size_t index = static_cast<size_t>(at - space.params.begin());
    ParamSpec lower = *at, upper = *at;
    if (at->kind == ParamKind::kCategorical) {
      HalveChoices(*at, overlap, lower, upper);
    } else {
      HalveNumber(*at, overlap, lower, upper);
    }
    for (size_t i = 0; i < out.size(); ++i) out[i].params[index] = ((i >> j) & 1) ? upper : lower;
  }
  return out;
}

}  // namespace cairn
