// The coordinator's side of the record trail: captures each trial's context
// and artifacts off the event loop (std::async), and samples utilization on
// the capture part's background thread. The coordinator merges what is ready
// into its records; nothing here touches the store.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/capture.h"

namespace cairn::study_internal {

class TrailRecorder {
 public:
  // Both may be null: then nothing is captured (replay, tests).
  TrailRecorder(Capturer* capturer, UtilizationSampler* utilization)
      : capturer_(capturer), utilization_(utilization) {}
  ~TrailRecorder();

  bool enabled() const { return capturer_ != nullptr; }

  // The study's context (code version, Cairn version, host), now.
  std::optional<CapturedContext> CaptureStudy(const std::filesystem::path& workdir);

  // A trial started: capture its context in the background and sample its
  // processes while it runs.
  void TrialStarted(int64_t trial_id, TrialCaptureRequest request, std::optional<int> pid);
  // The context of a trial, waiting for its capture when `wait`; nullopt
  // when it is not ready (or capture is off).
  std::optional<CapturedContext> TakeContext(int64_t trial_id, bool wait);

  // A trial ended: stop sampling it, and list its artifacts in the background.
  void TrialEnded(int64_t trial_id, const std::filesystem::path& trial_dir);
  // Artifact lists that are ready (all of them when `wait`), by trial id.
  std::vector<std::pair<int64_t, nlohmann::json>> TakeArtifacts(bool wait);

  // Utilization samples since the last call, as metric points.
  std::vector<MetricPoint> DrainUtilization();

 private:
  Capturer* capturer_;
  UtilizationSampler* utilization_;
  std::map<int64_t, std::future<CapturedContext>> contexts_;
  std::map<int64_t, std::future<nlohmann::json>> artifacts_;
};

}  // namespace cairn::study_internal
