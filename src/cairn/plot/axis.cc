#include "cairn/plot/axis.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace cairn::plot {

double Axis::Map(double value) const {
  double a = log ? std::log10(lo) : lo;
  double b = log ? std::log10(hi) : hi;
  double v = log ? std::log10(value) : value;
  if (b == a) return (pixel_lo + pixel_hi) / 2.0;
  // In halves: values spanning most of a double's range (a curve that
  // diverged to 1e308 beside one at -1e308) overflow b - a.
  return pixel_lo + (v / 2 - a / 2) / (b / 2 - a / 2) * (pixel_hi - pixel_lo);
}

std::vector<Tick> Axis::Ticks(int target) const {
  return log ? LogTicks(lo, hi) : LinearTicks(lo, hi, target, whole ? 1.0 : 0.0);
}

namespace {

// The 1-2-5 step nearest above range / target.
double NiceStep(double range, int target) {
  double raw = range / std::max(1, target);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw * 0.999) return m * magnitude;
  }
  return 10.0 * magnitude;
}

}  // namespace

std::string FormatTick(double value, double step) {
  if (std::fabs(value) < step * 1e-6) value = 0.0;  // no "-0.0" or "1e-17"
  double big = std::max(std::fabs(value), step);
  if (big >= 1e6 || (step < 1e-4 && std::fabs(value) < 1e-3)) {
    if (value == 0.0) return "0";  // beside "5e-10", not "0.0000000000"
    // Enough significant digits to tell ticks a step apart: 1234567.2 and
    // 1234567.4 are not both "1.23e+06".
    const int digits = std::max(3, static_cast<int>(std::floor(std::log10(std::fabs(value))) -
                                                    std::floor(std::log10(step) + 1e-9)) + 1);
    return fmt::format("{:.{}g}", value, std::min(digits, 17));
  }
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", value, decimals);
}

std::string FormatValue(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  return fmt::format("{:.4g}", value);
}

std::vector<Tick> LinearTicks(double lo, double hi, int target, double min_step) {
  std::vector<Tick> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  // A range past the largest double (-1e308 to 1e308) is stepped by half.
  const double nice = std::isfinite(hi - lo) ? NiceStep(hi - lo, target) : 2 * NiceStep(hi / 2 - lo / 2, target);
  double step = std::max(nice, min_step);
  double first = std::ceil(lo / step - 1e-9);
  for (double k = first; k * step <= hi + step * 1e-9 && ticks.size() < 100; k += 1.0) {
    double v = k * step;
    ticks.push_back({v, FormatTick(v, step)});
  }
  return ticks;
}

std::vector<Tick> LogTicks(double lo, double hi) {
  std::vector<Tick> ticks;
  if (!(lo > 0) || !(hi > lo) || !std::isfinite(hi)) return ticks;
  int first = static_cast<int>(std::floor(std::log10(lo)));
  int last = static_cast<int>(std::ceil(std::log10(hi)));
  int decades = last - first;
  int every = decades > 8 ? (decades + 7) / 8 : 1;  // label at most ~8 decades
  for (int e = first; e <= last; ++e) {
    double base = std::pow(10.0, e);
    for (double m : {1.0, 2.0, 5.0}) {
      double v = m * base;
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      bool decade = m == 1.0;
      if (decade && (e - first) % every == 0) {
        ticks.push_back({v, fmt::format("{:g}", v)});
      } else if (!decade && decades <= 2) {
        ticks.push_back({v, fmt::format("{:g}", v)});  // few decades: label 2x and 5x too
      } else if (decades <= 4 || decade) {
        ticks.push_back({v, ""});
      }
    }
  }
  // Inside one decade without a 1, 2 or 5 (a loss from 2.1 to 3.9) the
  // axis would have one label or none: label it as a linear one (the
  // positions are still on the log scale).
  const auto labelled = std::count_if(ticks.begin(), ticks.end(), [](const Tick& t) { return !t.label.empty(); });
  if (labelled < 2) return LinearTicks(lo, hi, 4, 0.0);
  return ticks;
}

void PadRange(double& lo, double& hi, bool log, double pad) {
  if (log) {
    double a = std::log10(lo), b = std::log10(hi);
    if (b - a < 1e-9) {
      a -= 0.5;
      b += 0.5;
    }
    double d = (b - a) * pad;
    lo = std::pow(10.0, a - d);
    hi = std::pow(10.0, b + d);
    return;
  }
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {
    double d = std::max(std::fabs(lo) * 0.05, 0.5);
    lo -= d;
    hi += d;
    return;
  }
  // In halves, and kept within the doubles: a range of -1e308 to 1e308
  // padded to infinities drew no ticks and every point at NaN.
  double d = (hi / 2 - lo / 2) * 2 * pad;
  if (!std::isfinite(d)) d = (hi / 2 - lo / 2) * pad;
  lo = std::max(lo - d, -std::numeric_limits<double>::max());
  hi = std::min(hi + d, std::numeric_limits<double>::max());
}

}  // namespace cairn::plot
