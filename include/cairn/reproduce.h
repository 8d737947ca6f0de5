// Reproducing a trial: compare today's context with the recorded one, warn
// about every difference, run the same command, parameters, seed and
// environment once more as a new trial of the study, and compare results.
//
//   ReproduceOptions options;
//   options.on_warning = [](const std::string& w) { std::cerr << "warning: " << w << "\n"; };
//   CAIRN_ASSIGN_OR_RETURN(nlohmann::json report, ReproduceTrial(store, "digits", 7, options));
//   // {"warnings": [...], "original": {...}, "reproduced": {...}, "difference": {...}}
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn {

class Capturer;

struct ReproduceOptions {
  // Compare the contexts and report, but run nothing.
  bool dry_run = false;
  // Run in this folder instead of the recorded workdir (e.g. a fresh clone
  // on another machine); datasets under the recorded workdir move with it.
  std::filesystem::path workdir;
  // Trial folders go to <trials_root>/<study>/<number>; empty: ./.cairn/trials.
  std::filesystem::path trials_root;
  // Device ids the trial may use (as CoordinatorOptions::gpu_ids).
  std::vector<std::string> gpu_ids;
  // Called with each warning as soon as it is known, before the run starts.
  std::function<void(const std::string&)> on_warning;
  // Captures today's context; null: a Capturer with default options.
  Capturer* capturer = nullptr;
};

// A recorded or current context, reduced to what decides a result.
struct ContextSnapshot {
  nlohmann::json code = nullptr;      // CodeVersionToJson form, or null when unknown
  nlohmann::json software = nullptr;  // software_env body, or null
  nlohmann::json host = nullptr;      // host body, or null
  nlohmann::json gpus = nlohmann::json::array();      // [GpuInfo json]
  nlohmann::json datasets = nlohmann::json::array();  // [fingerprint json]
  nlohmann::json program_files = nullptr;  // FingerprintProgramFiles form, or null when not recorded
  nlohmann::json env = nullptr;  // the trial's environment variables ({name: value}, redacted), or null
};

// One sentence per difference: code commit and uncommitted changes, the
// files the command names (changed or gone), Python
// and Debian packages (old -> new), Python version, dataset fingerprints,
// host CPU/OS/kernel/architecture, GPU models, and one for the environment
// variables that differ (OMP_NUM_THREADS, PYTHONPATH, ...; not Cairn's own
// per-trial CAIRN_*, the shell's PWD/OLDPWD/SHLVL/_ or CUDA_VISIBLE_DEVICES,
// which Cairn sets from the GPUs compared above). Unknown sides are skipped.
std::vector<std::string> CompareContexts(const ContextSnapshot& recorded, const ContextSnapshot& current);

// Reproduces trial `number` of `study` (see the file comment). The new trial
// is recorded like any other, with attrs.reproduce_of = number. Refuses
// (FailedPrecondition) while the study has running, queued, or lost and
// interrupted trials not yet re-run, since attaching to it would resume them.
Result<nlohmann::json> ReproduceTrial(Store& store, const std::string& study, int number,
                                      const ReproduceOptions& options = {});

}  // namespace cairn
