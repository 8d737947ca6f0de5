// TrialIndex: studies and trials of a store in memory, with their blobs
// resolved once per hash and a metric summary per trial.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/query.h"

namespace cairn {

namespace {

std::optional<double> NumberOf(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}


}  // namespace

std::map<std::string, MetricSummary> MetricSummariesFromJson(const nlohmann::json& j, Direction direction,
                                                             const std::string& objective) {
  std::map<std::string, MetricSummary> out;
  if (!j.is_object()) return out;
  for (const auto& [key, m] : j.items()) {
    if (!m.is_object()) continue;
    MetricSummary s;
    s.steps = m.value("steps", nlohmann::json(0)).is_number() ? m["steps"].get<int64_t>() : 0;
    s.last = NumberOf(m, "last");
    s.min = NumberOf(m, "min");
    s.max = NumberOf(m, "max");
    s.best = NumberOf(m, "best");
    s.first_at = NumberOf(m, "first_at");
    s.last_at = NumberOf(m, "last_at");
    if (auto step = NumberOf(m, "first_step")) s.first_step = static_cast<int64_t>(*step);
    if (auto step = NumberOf(m, "last_step")) s.last_step = static_cast<int64_t>(*step);
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
    s.last = std::isfinite(p.value) ? std::optional<double>(p.value) : std::nullopt;
    if (!std::isfinite(p.value)) continue;
    s.min = s.min ? std::min(*s.min, p.value) : p.value;
    s.max = s.max ? std::max(*s.max, p.value) : p.value;
  }
  if (auto it = out.find(objective); it != out.end()) {
    it->second.best = direction == Direction::kMaximize ? it->second.max : it->second.min;
  }
  return out;
}

TrialIndex::TrialIndex(BlobLookup blobs) : lookup_(std::move(blobs)) {}

Result<std::shared_ptr<const nlohmann::json>> TrialIndex::Blob(const nlohmann::json& hash) {
  if (!hash.is_string() || !lookup_) return std::shared_ptr<const nlohmann::json>();
  const std::string& h = hash.get_ref<const std::string&>();
  if (auto it = blob_cache_.find(h); it != blob_cache_.end()) return it->second;
  auto body = lookup_(h);
  std::shared_ptr<const nlohmann::json> blob;
  if (body.ok()) {
    blob = std::make_shared<const nlohmann::json>(std::move(*body));
  } else if (body.status().code() != StatusCode::kNotFound) {
    return body.status().WithContext("blob " + h);
  }
  blob_cache_[h] = blob;
  return blob;
}

Status TrialIndex::AddStudy(StudyRecord study, std::vector<TrialRecord> trials,
                            const std::vector<std::map<std::string, MetricSummary>>& summaries) {
  const size_t study_index = studies_.size();
  const Direction direction = study.direction;
  const std::string objective = study.objective;
  nlohmann::json context = StudyContextOf(study);
  studies_.push_back({std::move(study), std::move(context)});
  trials_.reserve(trials_.size() + trials.size());
  for (size_t i = 0; i < trials.size(); ++i) {
    IndexedTrial t;
    t.record = std::move(trials[i]);
    t.study = study_index;
    const nlohmann::json& attrs = t.record.attrs;
    if (attrs.is_object() && attrs.contains("metrics")) {
      for (auto& [k, m] : MetricSummariesFromJson(attrs["metrics"], direction, objective)) t.metrics.emplace(k, m);
    } else if (i < summaries.size()) {
      t.metrics.insert(summaries[i].begin(), summaries[i].end());
    }
    if (attrs.is_object() && attrs.contains("context") && attrs["context"].is_object()) {
      const nlohmann::json& ctx = attrs["context"];
      std::string where = fmt::format("study '{}' trial {}", studies_.back().record.name, t.record.number);
      auto host = Blob(ctx.value("host", nlohmann::json()));
      if (!host.ok()) return host.status().WithContext(where);
      auto software = Blob(ctx.value("software", nlohmann::json()));
      if (!software.ok()) return software.status().WithContext(where);
      t.host = std::move(*host);
      t.software = std::move(*software);
    }
    trials_.push_back(std::move(t));
  }
  return Status::Ok();
}

Result<TrialIndex> TrialIndex::Build(Store& store, const TrialIndexOptions& options) {
  TrialIndex index([&store](const std::string& hash) { return store.GetBlob(hash); });
  CAIRN_ASSIGN_OR_RETURN(auto studies, store.ListStudies());
  for (const auto& wanted : options.studies) {
    bool found = std::any_of(studies.begin(), studies.end(), [&](const StudyRecord& s) { return s.name == wanted; });
    if (!found) return NotFound(fmt::format("study '{}' not found in {}", wanted, store.Url()));
  }
  for (auto& study : studies) {
    if (!options.studies.empty() &&
        std::find(options.studies.begin(), options.studies.end(), study.name) == options.studies.end()) {
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
    std::vector<std::map<std::string, MetricSummary>> summaries(trials.size());
    for (size_t i = 0; options.summarize_missing && i < trials.size(); ++i) {
      if (trials[i].attrs.is_object() && trials[i].attrs.contains("metrics")) continue;
      CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({.trial_id = trials[i].id}));
      summaries[i] = SummarizeMetricPoints(std::move(points), study.direction, study.objective);
    }
    CAIRN_TRY(index.AddStudy(std::move(study), std::move(trials), summaries));
  }
  // The lookup holds a reference to `store`, which may not outlive the index.
  index.lookup_ = nullptr;
  return index;
}

}  // namespace cairn
