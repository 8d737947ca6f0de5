// PredictRungs: successive-halving rungs for the predictive scheduler.
//
// Rung k sits at step min_resource * eta^k, fixed from the study's first
// trial (unlike Optuna's "auto", which lets the first trial run to its end
// unjudged). A trial is judged once per rung, at its first report at or past
// the rung's step: its value is recorded there and it "wins" the rung when
// it is within the top max(1, n / eta) of the n values recorded so far
// (itself included), n / eta rounded up by default: a rank among the first
// few values says little, so a sparse rung keeps the doubtful one (Optuna's
// ASHA rounds down; `round_up` false does the same). Unlike AshaRungs, a
// trial that loses a rung but is kept by the caller is not judged at that
// rung again; it moves on to the next.
//
// Values are "higher is better": callers negate minimised metrics.
// Per-rung values are kept sorted: recording is O(n), ranking O(log n).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace cairn::schedule {

struct RungVerdict {
  int64_t rung = 0;       // index of the rung judged
  int64_t rung_step = 0;  // its step
  bool promoted = false;  // in the top 1/eta there
  int64_t rank = 0;       // 1 = best of the values recorded at the rung
  int64_t recorded = 0;   // values recorded there, this one included
  int64_t kept = 0;       // how many of them the top 1/eta holds (rounded up by default)
};

class PredictRungs {
 public:
  // min_resource >= 1, eta >= 2.
  PredictRungs(int64_t min_resource, int64_t eta, bool round_up = true)
      : min_resource_(min_resource), eta_(eta), round_up_(round_up) {}

  // Records the trial at every rung it reached with this report and returns
  // the verdict of the last one (the first lost, if it lost one); nullopt when
  // this report reaches no new rung.
  std::optional<RungVerdict> Report(int64_t trial_id, int64_t step, double value);
  // Drops the trial's rung position (values recorded stay).
  void Forget(int64_t trial_id) { next_rung_.erase(trial_id); }

  int64_t RungStep(int64_t rung) const;

 private:
  int64_t min_resource_;
  int64_t eta_;
  bool round_up_;
  std::unordered_map<int64_t, int64_t> next_rung_;  // trial -> next rung to judge
  std::vector<std::vector<double>> values_;          // rung -> values, ascending
};

}  // namespace cairn::schedule
