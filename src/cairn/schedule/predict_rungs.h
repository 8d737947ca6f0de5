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
// Stopped between rungs: when another rule stops a trial that won its last
// rung, RecordStopped counts it at the next rung with its level at the stop.
// Under plain successive halving it would have reached that rung and been
// ranked there; without it, every trial the other rule removes early makes
// the rung's field stronger and its top 1/eta harder to reach, so the
// better that rule works, the more contenders the rung stops.
//
// Values are "higher is better": callers negate minimised metrics.
// Per-rung values are kept sorted: recording is O(n), ranking O(log n).
#pragma once

#include <cstdint>
#include <functional>
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
  int64_t stopped_before = 0;  // of `recorded`, trials counted by RecordStopped
  bool scored = false;    // ranked by predicted value ahead, not by level
};

// Scores a rung's trials for ranking: (rung step, their levels, their
// features) -> one score each, higher better; empty: rank by level.
using RungScorer = std::function<std::vector<double>(int64_t rung_step, const std::vector<double>& levels,
                                                     const std::vector<std::vector<double>>& features)>;

class PredictRungs {
 public:
  // min_resource >= 1, eta >= 2.
  PredictRungs(int64_t min_resource, int64_t eta, bool round_up = true)
      : min_resource_(min_resource), eta_(eta), round_up_(round_up) {}

  // Records the trial at every rung it reached with this report and returns
  // the verdict of the last one (the first lost, if it lost one); nullopt when
  // this report reaches no new rung.
  // With a scorer and features, a rung ranks trials by their scores (what
  // they are predicted to reach) rather than by their values.
  std::optional<RungVerdict> Report(int64_t trial_id, int64_t step, double value,
                                    const std::vector<double>& features = {});
  void SetScorer(RungScorer scorer) { scorer_ = std::move(scorer); }
  // Counts a trial stopped before its next rung there, with `value` (its
  // level at the stop), if it won the last rung it was judged at (or has not
  // been judged yet). A trial that lost its last rung would not have been
  // promoted, so it counts nowhere.
  void RecordStopped(int64_t trial_id, double value, const std::vector<double>& features = {});
  // Drops the trial's rung position (values recorded stay).
  void Forget(int64_t trial_id) { trials_.erase(trial_id); }

  int64_t RungStep(int64_t rung) const;

 private:
  int64_t min_resource_;
  int64_t eta_;
  bool round_up_;
  struct Position {
    int64_t next_rung = 0;  // the next rung to judge the trial at
    bool lost = false;      // it lost the last rung it was judged at
  };
  void Record(int64_t rung, double value, const std::vector<double>& features);
  // The verdict at `rung` for `value` just recorded there.
  RungVerdict Judge(int64_t rung, double value, const std::vector<double>& features) const;

  std::unordered_map<int64_t, Position> trials_;
  std::vector<std::vector<double>> values_;  // rung -> values, ascending
  std::vector<int64_t> stopped_before_;      // rung -> values from RecordStopped
  RungScorer scorer_;
  // With a scorer: rung -> every recorded (level, features), in record order.
  std::vector<std::vector<double>> levels_;
  std::vector<std::vector<std::vector<double>>> features_;
};

}  // namespace cairn::schedule
