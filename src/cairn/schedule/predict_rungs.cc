#include "cairn/schedule/predict_rungs.h"

#include <algorithm>
#include <limits>

namespace cairn::schedule {

int64_t PredictRungs::RungStep(int64_t rung) const {
  // Saturating: a rung past any real step.
  int64_t step = min_resource_;
  for (int64_t i = 0; i < rung; ++i) {
    if (step > std::numeric_limits<int64_t>::max() / eta_) {
      return std::numeric_limits<int64_t>::max();
    }
    step *= eta_;
  }
  return step;
}

void PredictRungs::Record(int64_t rung, double value, const std::vector<double>& features) {
  if (values_.size() <= static_cast<size_t>(rung)) {
    values_.resize(rung + 1);
    stopped_before_.resize(rung + 1, 0);
    levels_.resize(rung + 1);
    features_.resize(rung + 1);
  }
  std::vector<double>& sorted = values_[rung];
  sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), value), value);
  if (scorer_ && !features.empty()) {
    levels_[rung].push_back(value);
    features_[rung].push_back(features);
  }
}

void PredictRungs::RecordStopped(int64_t trial_id, double value, const std::vector<double>& features) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second.lost) return;
  Record(it->second.next_rung, value, features);
  ++stopped_before_[it->second.next_rung];
}

RungVerdict PredictRungs::Judge(int64_t rung, double value, const std::vector<double>& features) const {
  const std::vector<double>& sorted = values_[rung];
  RungVerdict v;
  v.rung = rung;
  v.rung_step = RungStep(rung);
  v.recorded = static_cast<int64_t>(sorted.size());
  v.kept = std::max<int64_t>(1, round_up_ ? (v.recorded + eta_ - 1) / eta_ : v.recorded / eta_);
  v.stopped_before = stopped_before_[rung];
  // Scores only when every value at the rung has one (all trials bring
  // features, or none do).
  const bool scored = scorer_ && !features.empty() &&
                      levels_[rung].size() == sorted.size();
  std::vector<double> scores;
  if (scored) scores = scorer_(v.rung_step, levels_[rung], features_[rung]);
  if (!scores.empty()) {
    // The trial's own score is the last recorded.
    const double own = scores.back();
    int64_t better = 0;
    for (double s : scores) better += s > own ? 1 : 0;
    v.rank = better + 1;
    v.promoted = better < v.kept;
    v.scored = true;
    return v;
  }
  // Ties count in the trial's favour, as in Optuna's promotion test.
  v.rank = static_cast<int64_t>(sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), value)) + 1;
  v.promoted = value >= sorted[v.recorded - v.kept];
  return v;
}

std::optional<RungVerdict> PredictRungs::Report(int64_t trial_id, int64_t step, double value,
                                                const std::vector<double>& features) {
  Position& at = trials_[trial_id];
  int64_t& rung = at.next_rung;
  std::optional<RungVerdict> verdict;
  while (step >= RungStep(rung)) {
    Record(rung, value, features);
    const RungVerdict v = Judge(rung, value, features);
    verdict = v;
    at.lost = !v.promoted;
    ++rung;
    if (!v.promoted) break;  // judged at the lost rung; later ones wait for a later report
  }
  return verdict;
}

}  // namespace cairn::schedule
