#include "cairn/study/trail_recorder.h"

#include <chrono>

namespace cairn::study_internal {
namespace {

template <typename T>
bool Ready(std::future<T>& f) {
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace

TrailRecorder::~TrailRecorder() {
  // Futures from std::async join in their destructors; nothing else to do.
}

std::optional<CapturedContext> TrailRecorder::CaptureStudy(const std::filesystem::path& workdir) {
  if (!capturer_) return std::nullopt;
  return capturer_->CaptureStudy(workdir);
}

void TrailRecorder::TrialStarted(int64_t trial_id, TrialCaptureRequest request, std::optional<int> pid) {
  if (utilization_ && pid) utilization_->Register(trial_id, *pid, request.gpus);
  if (!capturer_) return;
  Capturer* capturer = capturer_;
  contexts_[trial_id] = std::async(std::launch::async, [capturer, request = std::move(request)] {
    return capturer->CaptureTrial(request);
  });
}

std::optional<CapturedContext> TrailRecorder::TakeContext(int64_t trial_id, bool wait) {
  auto it = contexts_.find(trial_id);
  if (it == contexts_.end()) return std::nullopt;
  if (!wait && !Ready(it->second)) return std::nullopt;
  CapturedContext context = it->second.get();
  contexts_.erase(it);
  return context;
}

void TrailRecorder::TrialEnded(int64_t trial_id, const std::filesystem::path& trial_dir) {
  if (utilization_) utilization_->Unregister(trial_id);
  if (!capturer_) return;
  Capturer* capturer = capturer_;
  // Checkpoints can be large: hash them off the event loop.
  artifacts_[trial_id] = std::async(std::launch::async, [capturer, trial_dir] {
    return ListArtifacts(trial_dir, &capturer->fingerprints());
  });
}

std::vector<std::pair<int64_t, nlohmann::json>> TrailRecorder::TakeArtifacts(bool wait) {
  std::vector<std::pair<int64_t, nlohmann::json>> out;
  for (auto it = artifacts_.begin(); it != artifacts_.end();) {
    if (!wait && !Ready(it->second)) {
      ++it;
      continue;
    }
    out.emplace_back(it->first, it->second.get());
    it = artifacts_.erase(it);
  }
  return out;
}

std::vector<MetricPoint> TrailRecorder::DrainUtilization() {
  std::vector<MetricPoint> points;
  if (!utilization_) return points;
  for (const auto& sample : utilization_->Drain()) {
    auto p = ToMetricPoints(sample);
    points.insert(points.end(), p.begin(), p.end());
  }
  return points;
}

}  // namespace cairn::study_internal
