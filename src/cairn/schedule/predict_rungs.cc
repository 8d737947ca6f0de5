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

std::optional<RungVerdict> PredictRungs::Report(int64_t trial_id, int64_t step, double value) {
  int64_t& rung = next_rung_[trial_id];
  std::optional<RungVerdict> verdict;
  while (step >= RungStep(rung)) {
    if (values_.size() <= static_cast<size_t>(rung)) values_.resize(rung + 1);
    std::vector<double>& sorted = values_[rung];
    sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), value), value);
    RungVerdict v;
    v.rung = rung;
    v.rung_step = RungStep(rung);
    v.recorded = static_cast<int64_t>(sorted.size());
    v.kept = std::max<int64_t>(1, round_up_ ? (v.recorded + eta_ - 1) / eta_ : v.recorded / eta_);
    // Ties count in the trial's favour, as in Optuna's promotion test.
    v.rank = static_cast<int64_t>(sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), value)) + 1;
    v.promoted = value >= sorted[v.recorded - v.kept];
    verdict = v;
    ++rung;
    if (!v.promoted) break;  // judged at the lost rung; later ones wait for a later report
  }
  return verdict;
}

}  // namespace cairn::schedule
