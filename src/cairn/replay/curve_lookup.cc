// The default CurveLookup: explicit index, exact parameters, else nearest.
//
// Nearest uses a normalised distance so that parameters on different scales
// weigh alike: a numeric parameter contributes ((a - b) / range)^2, where
// range is its spread over the file (in log space when all its values are
// positive and span more than two decades, as learning rates do); a string
// or boolean contributes 0 when equal, else 1; a parameter present on one
// side only contributes 1.
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "cairn/replay_executor.h"

namespace cairn {
namespace {

struct Scale {
  bool log = false;
  double low = 0.0;
  double range = 0.0;  // 0: the file has one value only
};

using Scales = std::map<std::string, Scale>;

Scales ComputeScales(const std::vector<CurveRecord>& curves) {
  std::map<std::string, std::pair<double, double>> bounds;  // min, max
  for (const auto& c : curves) {
    for (const auto& [name, v] : c.params) {
      auto d = ParamValueAsDouble(v);
      if (!d || std::holds_alternative<bool>(v)) continue;
      auto [it, fresh] = bounds.emplace(name, std::make_pair(*d, *d));
      if (!fresh) {
        it->second.first = std::min(it->second.first, *d);
        it->second.second = std::max(it->second.second, *d);
      }
    }
  }
  Scales scales;
  for (const auto& [name, b] : bounds) {
    Scale s;
    s.log = b.first > 0 && b.second / b.first > 100.0;
    s.low = s.log ? std::log(b.first) : b.first;
    s.range = (s.log ? std::log(b.second) : b.second) - s.low;
    scales[name] = s;
  }
  return scales;
}

double Coordinate(const Scale& s, double v) {
  double x = s.log ? std::log(std::max(v, std::numeric_limits<double>::min())) : v;
  return s.range > 0 ? (x - s.low) / s.range : 0.0;
}

double ValueDistance(const Scales& scales, const std::string& name, const ParamValue& a,
                     const ParamValue& b) {
  auto da = ParamValueAsDouble(a), db = ParamValueAsDouble(b);
  auto it = scales.find(name);
  bool numeric = da && db && !std::holds_alternative<bool>(a) && !std::holds_alternative<bool>(b);
  if (numeric && it != scales.end()) {
    double d = Coordinate(it->second, *da) - Coordinate(it->second, *db);
    return d * d;
  }
  if (numeric) return *da == *db ? 0.0 : 1.0;
  return a == b ? 0.0 : 1.0;
}

double Distance(const Scales& scales, const Params& a, const Params& b) {
  double sum = 0.0;
  for (const auto& [name, va] : a) {
    auto it = b.find(name);
    sum += it == b.end() ? 1.0 : ValueDistance(scales, name, va, it->second);
  }
  for (const auto& [name, vb] : b) {
    if (a.count(name) == 0) sum += 1.0;
  }
  return sum;
}

// A key equal for equal parameters; integers and doubles of the same value agree.
std::string CanonicalKey(const Params& params) {
  std::string key;
  for (const auto& [name, v] : params) {
    key += name;
    key += '=';
    if (std::holds_alternative<std::string>(v)) {
      key += 's' + std::get<std::string>(v);
    } else if (std::holds_alternative<bool>(v)) {
      key += std::get<bool>(v) ? "btrue" : "bfalse";
    } else {
      key += fmt::format("n{}", *ParamValueAsDouble(v));
    }
    key += '\x1f';
  }
  return key;
}

Result<size_t> ParseIndex(const std::string& text, size_t count) {
  size_t index = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(fmt::format("{}='{}' is not a curve index", kReplayCurveEnv, text));
  }
  if (index >= count) {
    return InvalidArgument(fmt::format("{}={} is out of range: the file has {} curves",
                                       kReplayCurveEnv, index, count));
  }
  return index;
}

}  // namespace

CurveLookup MakeDefaultCurveLookup(std::shared_ptr<const std::vector<CurveRecord>> curves) {
  auto exact = std::make_shared<std::unordered_map<std::string, size_t>>();
  for (size_t i = 0; i < curves->size(); ++i) exact->emplace(CanonicalKey((*curves)[i].params), i);
  auto scales = std::make_shared<Scales>(ComputeScales(*curves));
  return [curves, exact, scales](const LaunchRequest& request) -> Result<size_t> {
    if (auto it = request.env.find(kReplayCurveEnv); it != request.env.end()) {
      return ParseIndex(it->second, curves->size());
    }
    if (curves->empty()) return FailedPrecondition("replay: no curves to replay");
    if (auto it = exact->find(CanonicalKey(request.params)); it != exact->end()) return it->second;
    size_t best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < curves->size(); ++i) {
      double d = Distance(*scales, request.params, (*curves)[i].params);
      if (d < best_d) best_d = d, best = i;
    }
    return best;
  };
}

}  // namespace cairn
