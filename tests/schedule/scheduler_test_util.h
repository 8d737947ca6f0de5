// Helpers for feeding constructed curves to a scheduler in tests.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/scheduler.h"

namespace cairn::testing {

inline std::unique_ptr<Scheduler> Make(const std::string& name, SchedulerContext ctx,
                                       nlohmann::json options = nlohmann::json::object()) {
  auto made = MakeScheduler(name, ctx, options);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(*made) : nullptr;
}

// Feeds values at steps 1..n; returns the step it was stopped at (0 = ran
// to the end) and ends the trial accordingly.
inline int64_t RunTrial(Scheduler& s, int64_t id, const std::vector<double>& values,
                        Decision* last = nullptr, const Params& params = {}) {
  s.OnTrialStart(id, params);
  for (size_t i = 0; i < values.size(); ++i) {
    Decision d = s.OnReport(id, static_cast<int64_t>(i + 1), values[i]);
    if (last) *last = d;
    if (d.stop()) {
      s.OnTrialEnd(id, TrialState::kStopped);
      return static_cast<int64_t>(i + 1);
    }
  }
  s.OnTrialEnd(id, TrialState::kCompleted);
  return 0;
}

inline std::vector<double> Constant(size_t n, double v) { return std::vector<double>(n, v); }

}  // namespace cairn::testing
