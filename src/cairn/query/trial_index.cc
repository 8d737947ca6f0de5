// TrialIndex: studies and trials of a store in memory, with their blobs
// resolved once per hash and a metric summary per trial.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/query.h"

namespace cairn {

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
