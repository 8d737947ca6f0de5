// Synthetic studies for the query benchmark and the at-scale tests: many
// trials with the coordinator's attrs layout (metric summaries, context
// blobs, GPUs, datasets), generated deterministically from a seed.
#pragma once

#include <cstdint>
#include <vector>

#include "cairn/query.h"
#include "cairn/store.h"

namespace cairn::query {

struct SyntheticOptions {
  int studies = 10;             // study names "study0", "study1", ...
  int trials_per_study = 1000;
  int steps = 100;              // metric points per trial (acc and loss)
  uint64_t seed = 1;
  bool keep_points = true;      // false: only the summaries in attrs (saves memory)
};

struct SyntheticStudy {
  StudyRecord study;
  std::vector<TrialRecord> trials;
  std::vector<std::vector<MetricPoint>> points;  // per trial (trial_id left 0); empty unless keep_points
};

// Studies with trials: params lr (log-uniform 1e-5..1), optimizer (adam,
// sgd, rmsprop), layers (1..8); metrics "acc" and "loss" of `steps` points,
// summarised in attrs["metrics"]; GPUs A100 or H100; software blobs "sw0".."sw2"
// and hosts "host0".."host3" (see SyntheticBlobs).
std::vector<SyntheticStudy> MakeSyntheticStudies(const SyntheticOptions& options);
// hash -> body of the blobs the synthetic trials reference.
std::map<std::string, nlohmann::json> SyntheticBlobs();

// An index of the synthetic studies, built without a store.
Result<TrialIndex> BuildSyntheticIndex(const SyntheticOptions& options);
// Writes the synthetic studies, their points and blobs into `store`.
Status FillSyntheticStore(Store& store, const SyntheticOptions& options);

}  // namespace cairn::query
