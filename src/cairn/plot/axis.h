// Axes of a plot: the mapping from data to pixels and the ticks to label.
#pragma once

#include <string>
#include <vector>

namespace cairn::plot {

struct Tick {
  double value = 0.0;
  std::string label;  // empty for minor ticks
};

// Maps data values in [lo, hi] (linear, or log10 when `log`) onto pixels
// [pixel_lo, pixel_hi]; pixel_hi < pixel_lo for a y axis (SVG y grows down).
struct Axis {
  double lo = 0.0;
  double hi = 1.0;
  bool log = false;
  bool whole = false;  // values are whole numbers (steps): no tick between two of them
  double pixel_lo = 0.0;
  double pixel_hi = 1.0;

  double Map(double value) const;
  // The ticks inside [lo, hi], about `target` labelled ones.
  std::vector<Tick> Ticks(int target) const;
};

// Linear ticks at 1, 2 or 5 times a power of ten, at least `min_step`
// apart, labelled with just enough decimals to tell them apart.
std::vector<Tick> LinearTicks(double lo, double hi, int target, double min_step = 0.0);
// Ticks at powers of ten (and 2x, 5x when the range spans few decades).
std::vector<Tick> LogTicks(double lo, double hi);

// A short label for a value on an axis whose ticks are `step` apart.
std::string FormatTick(double value, double step);
// A value in a legend or title: up to 4 significant digits.
std::string FormatValue(double value);

// [lo, hi] widened by `pad` of its length on each side (linear) or the same
// fraction of its log length (log); a zero-length range becomes a small one
// around the value.
void PadRange(double& lo, double& hi, bool log, double pad);

}  // namespace cairn::plot
