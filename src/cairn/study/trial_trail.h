// How a trial's model was made, read back for `cairn show`: the code, the
// files its command named, the host, Python and notable packages, GPUs,
// data, artifacts, when it ran and under which sampler and pruner.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cairn/store.h"

namespace cairn {

// {ran: {started_at, ended_at, seconds}, code, program_files, workdir,
// host (the blob's body), python: {version, notable: {name: version}},
// gpus, datasets, artifacts: {trial_dir, files, bytes, list}, search,
// reproduce_of?}. Blobs the store lacks are null, never an error: a trail
// with a hole is still worth reading.
nlohmann::json TrialTrailJson(Store& store, const StudyRecord& study, const TrialRecord& trial);

// The same as indented lines for people ("  code: git 3f2a1c0d9e8b (main, uncommitted changes)").
std::string RenderTrialTrail(const nlohmann::json& trail);

}  // namespace cairn
