// TrialRef: parsing "STUDY:NUMBER", ARKs and study names, and resolving them.
#include "cairn/query/trial_ref.h"

#include <charconv>

#include <fmt/format.h>

namespace cairn {

Result<TrialRef> ParseTrialRef(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty trial reference (use STUDY:NUMBER, an ARK or a study name)");
  TrialRef ref;
  if (text.starts_with("ark:")) {
    ref.kind = TrialRef::Kind::kArk;
    ref.ark = std::string(text);
    return ref;
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    ref.kind = TrialRef::Kind::kStudyBest;
    ref.study = std::string(text);
    return ref;
  }
  std::string_view num = text.substr(colon + 1);
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), ref.number);
  if (colon == 0 || ec != std::errc() || p != num.data() + num.size() || ref.number < 0) {
    return InvalidArgument(fmt::format("trial reference '{}': expected STUDY:NUMBER with a trial number after ':'", text));
  }
  ref.kind = TrialRef::Kind::kStudyNumber;
  ref.study = std::string(text.substr(0, colon));
  return ref;
}

std::string TrialRefToString(const TrialRef& ref) {
  switch (ref.kind) {
    case TrialRef::Kind::kStudyNumber: return fmt::format("{}:{}", ref.study, ref.number);
    case TrialRef::Kind::kArk: return ref.ark;
    case TrialRef::Kind::kStudyBest: return ref.study;
  }
  return "";
}

namespace query {

namespace {

struct Resolved {
  StudyRecord study;
  std::optional<int> number;  // nullopt: the best trial
};

Result<Resolved> ResolveArk(Store& store, const std::string& ark) {
  CAIRN_ASSIGN_OR_RETURN(auto studies, store.ListStudies());
  for (auto& s : studies) {
    if (s.ark.empty()) continue;
    if (ark == s.ark) return Resolved{std::move(s), std::nullopt};
    std::string prefix = s.ark + "/t";
    if (!ark.starts_with(prefix)) continue;
    std::string_view num = std::string_view(ark).substr(prefix.size());
    int n = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (ec == std::errc() && p == num.data() + num.size()) return Resolved{std::move(s), n};
  }
  return NotFound(fmt::format("no study or trial with ARK '{}' in {}", ark, store.Url()));
}

Result<TrialRecord> BestTrial(Store& store, const StudyRecord& study) {
  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  const TrialRecord* best = nullptr;
  for (const auto& t : trials) {
    if (t.state != TrialState::kCompleted || !t.value) continue;
    if (best == nullptr || IsBetter(study.direction, *t.value, *best->value)) best = &t;
  }
  if (best == nullptr) return NotFound(fmt::format("study '{}' has no completed trial with a value", study.name));
  return *best;
}

}  // namespace

Result<TrialIndex> LoadTrial(Store& store, const TrialRef& ref) {
  Resolved r;
  if (ref.kind == TrialRef::Kind::kArk) {
    CAIRN_ASSIGN_OR_RETURN(r, ResolveArk(store, ref.ark));
  } else {
    CAIRN_ASSIGN_OR_RETURN(r.study, store.GetStudy(ref.study));
    if (ref.kind == TrialRef::Kind::kStudyNumber) r.number = ref.number;
  }
  TrialRecord trial;
  if (r.number) {
    CAIRN_ASSIGN_OR_RETURN(trial, TrialOfStudy(store, r.study, *r.number));
  } else {
    CAIRN_ASSIGN_OR_RETURN(trial, BestTrial(store, r.study));
  }
  std::vector<std::map<std::string, MetricSummary>> summary(1);
  if (!trial.attrs.is_object() || !trial.attrs.contains("metrics")) {
    CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({.trial_id = trial.id}));
    summary[0] = SummarizeMetricPoints(std::move(points), r.study.direction, r.study.objective);
  }
  TrialIndex index([&store](const std::string& hash) { return store.GetBlob(hash); });
  std::vector<TrialRecord> trials;
  trials.push_back(std::move(trial));
  CAIRN_TRY(index.AddStudy(std::move(r.study), std::move(trials), summary));
  return index;
}

}  // namespace query
}  // namespace cairn
