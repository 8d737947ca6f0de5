#include "cairn/query/table.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace cairn::query {

std::string FormatNumber(double v) {
  // Seeds, counts and integer parameters exactly (3000003, not 3e+06).
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

std::string FormatDate(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return "-";
  auto t = static_cast<std::time_t>(std::floor(unix_seconds));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace cairn::query
