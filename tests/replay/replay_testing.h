// Helpers shared by the replay tests: constructed curves and toy schedulers.
#pragma once

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cairn/curves_file.h"
#include "cairn/scheduler.h"

namespace cairn::testing {

inline constexpr double kNull = std::numeric_limits<double>::quiet_NaN();

inline CurveRecord MakeCurve(std::string id, std::vector<double> values,
                             std::vector<double> seconds = {}, Params params = {}) {
  CurveRecord c;
  c.id = std::move(id);
  c.metric = "acc";
  c.direction = Direction::kMaximize;
  c.values = std::move(values);
  c.seconds = std::move(seconds);
  c.params = std::move(params);
  return c;
}

inline std::shared_ptr<const std::vector<CurveRecord>> Share(std::vector<CurveRecord> curves) {
  return std::make_shared<const std::vector<CurveRecord>>(std::move(curves));
}

// Stops every trial at a fixed step (unless it is the last), and records calls.
class StopAtStep final : public Scheduler {
 public:
  explicit StopAtStep(int64_t step) : step_(step) {}
  Decision OnReport(int64_t trial_id, int64_t step, double value) override {
    reports.push_back({trial_id, step, value});
    Decision d;
    if (step >= step_) d.action = Decision::Action::kStop;
    return d;
  }
  void OnTrialStart(int64_t trial_id, const Params&) override { starts.push_back(trial_id); }
  void OnTrialEnd(int64_t trial_id, TrialState state) override { ends[trial_id] = state; }
  std::string Name() const override { return "stop-at-step"; }

  struct Report { int64_t trial; int64_t step; double value; };
  std::vector<Report> reports;
  std::vector<int64_t> starts;
  std::map<int64_t, TrialState> ends;

 private:
  int64_t step_;
};

// Stops a trial at its first report when its value is below a threshold
// (a one-rung rule whose outcome is easy to compute by hand).
class StopBelow final : public Scheduler {
 public:
  explicit StopBelow(double threshold) : threshold_(threshold) {}
  Decision OnReport(int64_t, int64_t step, double value) override {
    Decision d;
    if (step == 1 && value < threshold_) d.action = Decision::Action::kStop;
    return d;
  }
  std::string Name() const override { return "stop-below"; }

 private:
  double threshold_;
};

class NeverStop final : public Scheduler {
 public:
  Decision OnReport(int64_t, int64_t, double) override { return Decision::Continue(); }
  std::string Name() const override { return "never"; }
};

}  // namespace cairn::testing
