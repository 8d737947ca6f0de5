#include "cairn/query/synthetic.h"

#include <cmath>
#include <random>

#include <fmt/format.h>

namespace cairn::query {

namespace {

nlohmann::json Summary(const std::vector<MetricPoint>& pts, bool maximize) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& p : pts) {
    lo = std::min(lo, p.value);
    hi = std::max(hi, p.value);
  }
  return {{"steps", pts.size()}, {"last", pts.back().value}, {"min", lo}, {"max", hi},
          {"best", maximize ? hi : lo}};
}

TrialRecord MakeTrial(int number, std::mt19937_64& rng, int steps, std::vector<MetricPoint>* points) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  static const char* kOpts[] = {"adam", "sgd", "rmsprop"};
  TrialRecord t{.number = number};
  double lr = std::pow(10.0, -5.0 + 5.0 * u(rng));
  t.params = {{"lr", lr}, {"optimizer", std::string(kOpts[rng() % 3])},
              {"layers", static_cast<int64_t>(1 + rng() % 8)}};
  double ceiling = 0.5 + 0.45 * std::exp(-std::pow(std::log10(lr) + 2.5, 2) / 2) * u(rng);
  double start = 1.7e9 + number * 60.0;
  std::vector<MetricPoint> acc, loss;
  for (int s = 0; s < steps; ++s) {
    double a = ceiling * (1 - std::exp(-0.05 * (s + 1)));
    acc.push_back({0, "acc", s, a, start + s});
    loss.push_back({0, "loss", s, 1 - a, start + s});
  }
  bool stopped = rng() % 4 == 0;
  t.state = stopped ? TrialState::kStopped : TrialState::kCompleted;
  t.steps = steps;
  t.value = acc.back().value;
  t.created_at = start - 1;
  t.started_at = start;
  t.ended_at = start + steps;
  t.end_reason = stopped ? "median rule" : "exit 0";
  t.exit_code = 0;
  nlohmann::json gpu = {{"id", "0"}, {"index", 0},
                        {"name", rng() % 2 ? "NVIDIA A100-SXM4-80GB" : "NVIDIA H100 80GB HBM3"},
                        {"uuid", fmt::format("GPU-{}", rng() % 8)}, {"memory_total_bytes", 85899345920}};
  t.attrs = {{"seed", number},
             {"gpus", {0}},
             {"context", {{"format", 1}, {"env", {{"PATH", "/usr/bin"}}},
                          {"software", fmt::format("sw{}", rng() % 3)}, {"host", fmt::format("host{}", rng() % 4)},
                          {"gpus", {gpu}}, {"datasets", {{{"path", "/data/set"}, {"sha256", fmt::format("d{}", rng() % 2)}}}}}},
             {"metrics", {{"acc", Summary(acc, true)}, {"loss", Summary(loss, false)}}}};
  if (points == nullptr) return t;
  points->insert(points->end(), acc.begin(), acc.end());
  points->insert(points->end(), loss.begin(), loss.end());
  return t;
}

}  // namespace

std::vector<SyntheticStudy> MakeSyntheticStudies(const SyntheticOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::vector<SyntheticStudy> out;
  for (int s = 0; s < options.studies; ++s) {
    SyntheticStudy study;
    study.study = StudyRecord{.name = fmt::format("study{}", s), .objective = "acc",
                              .direction = Direction::kMaximize, .created_at = 1.7e9};
    for (int i = 0; i < options.trials_per_study; ++i) {
      if (options.keep_points) study.points.emplace_back();
      study.trials.push_back(MakeTrial(i, rng, options.steps, options.keep_points ? &study.points.back() : nullptr));
    }
    out.push_back(std::move(study));
  }
  return out;
}

std::map<std::string, nlohmann::json> SyntheticBlobs() {
  std::map<std::string, nlohmann::json> blobs;
  for (int i = 0; i < 3; ++i) {
    blobs[fmt::format("sw{}", i)] = {
        {"python", {{"version", "3.11"}, {"packages", {{"torch", fmt::format("{}.0.0", i + 1)}, {"numpy", "1.24"}}}}}};
  }
  for (int i = 0; i < 4; ++i) blobs[fmt::format("host{}", i)] = {{"hostname", fmt::format("node{}", i)}};
  return blobs;
}

Result<TrialIndex> BuildSyntheticIndex(const SyntheticOptions& options) {
  auto blobs = std::make_shared<std::map<std::string, nlohmann::json>>(SyntheticBlobs());
  TrialIndex index([blobs](const std::string& hash) -> Result<nlohmann::json> {
    auto it = blobs->find(hash);
    if (it == blobs->end()) return NotFound("blob " + hash);
    return it->second;
  });
  SyntheticOptions no_points = options;
  no_points.keep_points = false;
  for (auto& s : MakeSyntheticStudies(no_points)) CAIRN_TRY(index.AddStudy(std::move(s.study), std::move(s.trials)));
  return index;
}

Status FillSyntheticStore(Store& store, const SyntheticOptions& options) {
  if (!options.keep_points) return InvalidArgument("FillSyntheticStore writes points: set keep_points");
  for (const auto& [hash, body] : SyntheticBlobs()) CAIRN_TRY(store.PutBlob(hash, "synthetic", body));
  for (auto& s : MakeSyntheticStudies(options)) {
    CAIRN_ASSIGN_OR_RETURN(int64_t study_id, store.CreateStudy(s.study));
    for (size_t i = 0; i < s.trials.size(); ++i) {
      s.trials[i].study_id = study_id;
      CAIRN_ASSIGN_OR_RETURN(int64_t trial_id, store.CreateTrial(s.trials[i]));
      for (auto& p : s.points[i]) p.trial_id = trial_id;
      CAIRN_TRY(store.AppendMetrics(s.points[i]));
    }
  }
  return Status::Ok();
}

}  // namespace cairn::query
