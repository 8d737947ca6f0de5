// Moving parameter values between their user form and the sampler's
// internal real line, and uniform draws.
//
// Internal form: the value for plain numbers, its natural log for log
// parameters, the choice index for categoricals. TPE fits its estimators
// there; the random sampler draws there.
#pragma once

#include <cstdint>
#include <optional>

#include "cairn/search/rng.h"
#include "cairn/space.h"
#include "cairn/status.h"

namespace cairn::search {

// Checks what the samplers rely on: numeric bounds finite and ordered,
// positive lows for log parameters, positive steps, non-empty choices,
// unique names and conditions on earlier parameters. Errors name the parameter.
Status CheckSpace(const SearchSpace& space);

// Number of values on an int or stepped grid: floor((high - low) / step) + 1.
// REQUIRES: spec is an int or has a step.
int64_t GridCount(const ParamSpec& spec);
// The k-th value of that grid (an int64_t for ints, a double for floats).
ParamValue GridValue(const ParamSpec& spec, int64_t k);

// `v` rounded to 15 significant digits: the decimal a computed grid point
// (0.1 * 3, exp(log(1e-4) + ...)) stands for.
double CleanDecimal(double v);
// A point of a linear grid from `low` to `high` by `step` as the decimal it
// stands for, zero included (-0.3 + 3 * 0.1 is 5.55e-17, which 15
// significant digits of its own keep): 15 significant digits of the range.
double CleanGridDecimal(double v, double low, double high, double step);

// Rounds an external number onto the parameter's grid (ints and steps) and
// clips it into [low, high]. The result has the parameter's type.
ParamValue Snap(const ParamSpec& spec, double external);

// Internal form of `value`; nullopt when it is not a valid value (a choice
// that does not exist, a string for a number, a non-positive log value).
std::optional<double> Encode(const ParamSpec& spec, const ParamValue& value);
// True when every parameter of `space` that `params` sets holds a value
// the parameter can take: a choice it has, or a number in [low, high]
// (grids not checked). Absent and unknown names are ignored. False for a
// trial of another sub-space, or one told after its range was narrowed.
bool InSpace(const SearchSpace& space, const Params& params);
// The parameter value nearest to internal point `internal`.
ParamValue Decode(const ParamSpec& spec, double internal);

// A uniform draw: uniform (log-uniform for log parameters) for floats,
// uniform over the grid for ints and stepped floats (log ints: log-uniform
// over [low - 0.5, high + 0.5], rounded, as Optuna does), uniform over
// the choices for categoricals.
ParamValue DrawUniform(const ParamSpec& spec, Rng& rng);

// Index of `value` among `spec.choices` (1 and 1.0 are the same choice).
std::optional<size_t> ChoiceIndex(const ParamSpec& spec, const ParamValue& value);

}  // namespace cairn::search
