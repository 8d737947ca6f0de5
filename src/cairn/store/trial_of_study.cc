// TrialOfStudy: a trial by its number, with a NotFound that names the study.
#include <algorithm>

#include <fmt/format.h>

#include "cairn/store.h"

namespace cairn {

Result<TrialRecord> TrialOfStudy(Store& store, const StudyRecord& study, int number) {
  auto trial = store.GetTrialByNumber(study.id, number);
  if (trial.ok() || trial.status().code() != StatusCode::kNotFound) return trial;
  // The store only knows the study's id; say which trials there are instead.
  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  if (trials.empty()) return NotFound(fmt::format("study '{}' has no trial {}: it has no trials yet", study.name, number));
  auto [lo, hi] = std::minmax_element(trials.begin(), trials.end(),
                                      [](const TrialRecord& a, const TrialRecord& b) { return a.number < b.number; });
  return NotFound(fmt::format("study '{}' has no trial {}: its {} trial{} are numbered {} to {}", study.name, number,
                              trials.size(), trials.size() == 1 ? "" : "s", lo->number, hi->number));
}

}  // namespace cairn
