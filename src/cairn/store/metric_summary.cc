// Metric summaries: from the coordinator's JSON, or from the points.
#include "cairn/metric_summary.h"

#include <algorithm>
#include <cmath>

#include "cairn/json_text.h"

namespace cairn {

namespace {

std::optional<double> ValueOf(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? std::nullopt : MetricValueFromJson(*it);
}

std::optional<int64_t> IntOf(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

std::map<std::string, MetricSummary> MetricSummariesFromJson(const nlohmann::json& j, Direction direction,
                                                             const std::string& objective) {
  std::map<std::string, MetricSummary> out;
  if (!j.is_object()) return out;
  for (const auto& [key, m] : j.items()) {
    if (!m.is_object()) continue;
    MetricSummary s;
    s.steps = IntOf(m, "steps").value_or(0);
    s.last = ValueOf(m, "last");
    s.min = ValueOf(m, "min");
    s.max = ValueOf(m, "max");
    s.best = ValueOf(m, "best");
    s.first_at = ValueOf(m, "first_at");
    s.last_at = ValueOf(m, "last_at");
    s.first_step = IntOf(m, "first_step");
    s.last_step = IntOf(m, "last_step");
    s.nonfinite = IntOf(m, "nonfinite").value_or(0);
    if (!s.best && key == objective) s.best = direction == Direction::kMaximize ? s.max : s.min;
    out[key] = s;
  }
  return out;
}

std::map<std::string, MetricSummary> SummarizeMetricPoints(std::vector<MetricPoint> points, Direction direction,
                                                           const std::string& objective) {
  std::stable_sort(points.begin(), points.end(), [](const MetricPoint& a, const MetricPoint& b) {
    return a.key != b.key ? a.key < b.key : a.step < b.step;
  });
  std::map<std::string, MetricSummary> out;
  for (const auto& p : points) {
    MetricSummary& s = out[p.key];
    ++s.steps;
    if (!s.first_step) s.first_step = p.step;  // points are in step order here
    s.last_step = p.step;
    s.first_at = std::min(s.first_at.value_or(p.time), p.time);
    s.last_at = std::max(s.last_at.value_or(p.time), p.time);
    s.last = p.value;
    if (!std::isfinite(p.value)) ++s.nonfinite;
    if (std::isnan(p.value)) continue;
    s.min = s.min ? std::min(*s.min, p.value) : p.value;
    s.max = s.max ? std::max(*s.max, p.value) : p.value;
  }
  if (auto it = out.find(objective); it != out.end()) {
    it->second.best = direction == Direction::kMaximize ? it->second.max : it->second.min;
  }
  return out;
}

nlohmann::json MetricSummaryJson(const MetricSummary& m) {
  nlohmann::json j = {{"steps", m.steps},
                      {"last", MetricValueJson(m.last)},
                      {"min", MetricValueJson(m.min)},
                      {"max", MetricValueJson(m.max)}};
  if (m.best) j["best"] = MetricValueJson(*m.best);
  if (m.first_step) j["first_step"] = *m.first_step;
  if (m.last_step) j["last_step"] = *m.last_step;
  if (m.first_at) j["first_at"] = *m.first_at;
  if (m.last_at) j["last_at"] = *m.last_at;
  if (m.nonfinite > 0) j["nonfinite"] = m.nonfinite;
  return j;
}

}  // namespace cairn
