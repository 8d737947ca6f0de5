// One benchmark study: a scheduler replayed over one order of curves.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cairn/curves_file.h"
#include "cairn/scheduler.h"

namespace cairn::replay {

// What one study cost and found (docs/replay.md defines each field).
struct StudyOutcome {
  int64_t epochs_used = 0;   // steps the scheduler let run, null steps included
  int64_t epochs_full = 0;   // the sum of the replayed curves' lengths
  double regret = 0.0;       // |best final of all - best final of trials run to the end|
  double regret_norm = 0.0;  // regret / (best - worst final of all); 0 when they agree
  bool found_best = false;   // regret == 0
  double seconds = 0.0;      // wall seconds inside the scheduler's calls
};

// The last finite value among the first `steps` values; NaN when none.
double FinalValue(const CurveRecord& curve, int64_t steps);

// Replays curves[order[t]] as trial t (trial id t) with `workers` simulated
// workers on a ReplayExecutor, asking `scheduler` after each finite value.
StudyOutcome ReplayStudy(std::shared_ptr<const std::vector<CurveRecord>> curves,
                         const std::vector<size_t>& order, Scheduler& scheduler,
                         Direction direction, int workers);

}  // namespace cairn::replay
