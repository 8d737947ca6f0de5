// The colours of the curves plot, in one place so the legend and the curves
// agree.
#pragma once

#include <string>

namespace cairn::plot {

inline constexpr const char* kBestBlue = "#08306b";
inline constexpr const char* kStoppedGrey = "#8a8a8a";
inline constexpr const char* kOtherGrey = "#b0b0b0";
inline constexpr const char* kFailedOrange = "#e6550d";
inline constexpr const char* kStopRed = "#d62728";
inline constexpr const char* kPredictionRed = "#b2182b";

// Completed curves: light blue (t = 0, worst) to dark blue (t = 1, best).
std::string BlueRamp(double t);

}  // namespace cairn::plot
