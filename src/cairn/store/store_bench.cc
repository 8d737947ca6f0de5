#include "cairn/store_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "cairn/clock.h"
#include "cairn/store.h"
#include "cairn/store/bench_ingest.h"

namespace cairn {

namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// A study and trial of its own, so runs never collide with real data.
Result<TrialRecord> MakeTrial(Store& store) {
  double now = RealClock::Default()->WallTime();
  StudyRecord study{.name = "bench-ingest-" + std::to_string(static_cast<int64_t>(now * 1e6)),
                    .objective = "loss",
                    .direction = Direction::kMinimize,
                    .created_at = now};
  CAIRN_ASSIGN_OR_RETURN(int64_t study_id, store.CreateStudy(study));
  TrialRecord trial{.study_id = study_id, .number = 0, .state = TrialState::kRunning,
                    .created_at = now};
  CAIRN_ASSIGN_OR_RETURN(trial.id, store.CreateTrial(trial));
  return trial;
}

}  // namespace

Result<IngestBenchResult> BenchIngest(const std::string& store_url, int64_t points,
                                      int64_t batch) {
  CAIRN_ASSIGN_OR_RETURN(auto store, OpenStore(store_url));
  return store::BenchIngestInto(*store, points, batch);
}

namespace store {

Result<IngestBenchResult> BenchIngestInto(Store& store, int64_t points, int64_t batch) {
  if (points <= 0 || batch <= 0) {
    return InvalidArgument("bench ingest: points and batch must be positive");
  }
  CAIRN_ASSIGN_OR_RETURN(TrialRecord trial, MakeTrial(store));
  const int64_t trial_id = trial.id;
  std::vector<MetricPoint> buf(static_cast<size_t>(std::min(batch, points)));
  for (auto& p : buf) {
    p.trial_id = trial_id;
    p.key = "loss";
  }
  double t0 = RealClock::Default()->WallTime();
  std::chrono::duration<double> spent{0};
  double cpu = 0.0;
  for (int64_t start = 0; start < points; start += batch) {
    size_t n = static_cast<size_t>(std::min(batch, points - start));
    // A plausible decaying curve; building it is not timed.
    for (size_t i = 0; i < n; ++i) {
      int64_t step = start + static_cast<int64_t>(i);
      buf[i].step = step;
      buf[i].value = 1.0 / std::sqrt(1.0 + static_cast<double>(step));
      buf[i].time = t0 + 0.001 * static_cast<double>(step);
    }
    auto begin = std::chrono::steady_clock::now();
    double cpu_begin = ThreadCpuSeconds();
    CAIRN_TRY(store.AppendMetrics(std::span(buf.data(), n)));
    cpu += ThreadCpuSeconds() - cpu_begin;
    spent += std::chrono::steady_clock::now() - begin;
  }
  // Ended, so that a store the user named does not show a study running forever.
  trial.state = TrialState::kCompleted;
  trial.end_reason = fmt::format("store benchmark: {} metric points written", points);
  trial.steps = points;
  trial.value = buf[static_cast<size_t>((points - 1) % batch)].value;
  trial.ended_at = RealClock::Default()->WallTime();
  CAIRN_TRY(store.UpdateTrial(trial));
  IngestBenchResult r{.points = points, .seconds = spent.count(), .cpu_seconds = cpu};
  r.points_per_second = r.seconds > 0 ? static_cast<double>(points) / r.seconds : 0.0;
  return r;
}

}  // namespace store
}  // namespace cairn
