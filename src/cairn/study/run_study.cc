#include "cairn/run_study.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cairn/capture.h"
#include "cairn/gpu.h"
#include "cairn/gpu_slots.h"
#include "cairn/local_executor.h"
#include "cairn/slurm_executor.h"

namespace cairn {
namespace {

// The devices trials may use: CUDA_VISIBLE_DEVICES when set, else what NVML sees.
std::vector<std::string> TrialDevices() {
  if (auto visible = ParseCudaVisibleDevices(std::getenv("CUDA_VISIBLE_DEVICES"))) return *visible;
  return DetectGpuIds();
}

Status ApplyOverrides(StudySpec& spec, const RunStudyOptions& options) {
  if (options.trials) {
    if (*options.trials < 1) return InvalidArgument("--trials must be at least 1");
    spec.trials = *options.trials;
  }
  if (options.parallel) {
    if (*options.parallel < 1) return InvalidArgument("--parallel must be at least 1");
    spec.parallel = *options.parallel;
  }
  if (options.seed) spec.seed = *options.seed;
  if (options.subspace) {
    // The sampler checks the option too; checked here so the error names the flag.
    const nlohmann::json n =
        spec.sampler_options.is_object() ? spec.sampler_options.value("subspaces", nlohmann::json()) : nlohmann::json();
    if (!n.is_number_integer()) {
      return InvalidArgument(fmt::format(
          "--subspace {}: the study's sampler is not decomposed (set sampler: {{name: {}, subspaces: N}})",
          *options.subspace, spec.sampler));
    }
    if (*options.subspace < 0 || *options.subspace >= n.get<int64_t>()) {
      return InvalidArgument(fmt::format("--subspace {}: expected 0 to {} (the study's sampler has subspaces: {})",
                                         *options.subspace, n.get<int64_t>() - 1, n.get<int64_t>()));
    }
    spec.sampler_options["subspace"] = *options.subspace;
  }
  if (options.executor) {
    if (*options.executor != "local" && *options.executor != "slurm") {
      return InvalidArgument(fmt::format("--executor {}: expected local or slurm", *options.executor));
    }
    if (*options.executor != spec.executor) {
      spec.executor = *options.executor;
      spec.executor_options = nlohmann::json::object();
    }
  }
  return Status::Ok();
}

// Slurm places trials itself: GPUs are asked for per job (--gres) instead of
// taken from this machine's slots, so the coordinator hands out none.
Result<std::unique_ptr<Executor>> MakeSlurmForSpec(StudySpec& spec) {
  nlohmann::json json_options = spec.executor_options;
  if (!json_options.contains("gpus_per_trial") && spec.gpus_per_trial > 0) {
    json_options["gpus_per_trial"] = static_cast<int>(std::ceil(spec.gpus_per_trial));
  }
  CAIRN_ASSIGN_OR_RETURN(SlurmExecutorOptions options, SlurmOptionsFromJson(json_options));
  options.step_key = spec.step_key;
  options.patterns.clear();
  for (const auto& p : spec.patterns) options.patterns.push_back(p.regex);
  options.study_name = spec.name;
  spec.gpus_per_trial = 0;
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, MakeSlurmExecutor(options, RealClock::Default()));
  return executor;
}

// The smallest memory among the devices, for automatic packing (0 when a
// device's memory is unknown: packing then keeps one trial per GPU).
uint64_t SmallestGpuMemory(const std::vector<std::string>& gpus) {
  uint64_t smallest = 0;
  for (const auto& id : gpus) {
    auto info = GpuProbe::Default().Find(id);
    if (!info || info->memory_total_bytes == 0) return 0;
    smallest = smallest == 0 ? info->memory_total_bytes : std::min(smallest, info->memory_total_bytes);
  }
  return smallest;
}

}  // namespace

Result<StudySummary> RunStudy(StudySpec spec, const RunStudyOptions& options) {
  CAIRN_TRY(ApplyOverrides(spec, options));
  auto say = [&](const std::string& m) {
    if (options.on_message) options.on_message(m);
  };
  std::unique_ptr<Executor> executor;
  if (spec.executor == "slurm") {
    CAIRN_ASSIGN_OR_RETURN(executor, MakeSlurmForSpec(spec));
  }
  std::vector<std::string> gpus = executor ? std::vector<std::string>{} : TrialDevices();
  if (spec.gpus_per_trial > 0 && gpus.empty()) {
    say(fmt::format("no GPU found: running trials on the CPU (the study asks for {} GPU per trial)",
                    spec.gpus_per_trial));
    spec.gpus_per_trial = 0;
  }
  GpuSlots probe(gpus);
  if (Status valid = probe.Validate(spec.gpus_per_trial); !valid.ok()) {
    return InvalidArgument(fmt::format("the study file's resources.gpus: {} (visible: {}; CUDA_VISIBLE_DEVICES "
                                       "chooses which)",
                                       valid.message(), fmt::join(gpus, ", ")));
  }

  if (spec.executor != "local" && !executor) {
    return InvalidArgument(fmt::format("executor '{}' is not available in this build", spec.executor));
  }
  if (!executor) {
    LocalExecutorOptions exec_options;
    exec_options.step_key = spec.step_key;
    for (const auto& p : spec.patterns) exec_options.patterns.push_back(p.regex);
    // The study file's executor: {name: local, parse_stderr: true, drain_s: 5}
    // (checked with positions when the file was read).
    if (spec.executor == "local" && spec.executor_options.is_object()) {
      exec_options.parse_stderr = spec.executor_options.value("parse_stderr", false);
      exec_options.drain_s = spec.executor_options.value("drain_s", exec_options.drain_s);
    }
    CAIRN_TRY(ValidateLocalExecutorOptions(exec_options));
    executor = MakeLocalExecutor(exec_options, RealClock::Default());
  }

  CAIRN_ASSIGN_OR_RETURN(auto sampler,
                         MakeSampler(spec.sampler, spec.space, spec.direction, spec.seed, spec.sampler_options));
  SchedulerContext context{spec.direction, spec.max_steps, spec.seed, spec.lower_bound, spec.upper_bound};
  context.space = spec.space;
  CAIRN_ASSIGN_OR_RETURN(auto scheduler, MakeScheduler(spec.pruner, context, spec.pruner_options));

  if (options.store_patience_s &&
      (!(*options.store_patience_s >= 0) || !std::isfinite(*options.store_patience_s))) {
    return InvalidArgument(
        fmt::format("--store-patience {}: expected a number of seconds, 0 or more", *options.store_patience_s));
  }
  // Opened once the study can run at all: a refused executor, GPU request,
  // sampler or pruner leaves no empty store behind.
  std::string cwd = std::filesystem::current_path().string();
  CAIRN_ASSIGN_OR_RETURN(auto opened, OpenStore(ResolveStoreUrl(options.store_url, cwd)));
  // A store that stops answering for a while (locked, restarting) stalls
  // the study instead of ending it with its trials half recorded.
  StorePatience patience;
  if (options.store_patience_s) patience.patience_s = *options.store_patience_s;
  patience.on_message = options.on_message;
  patience.cancel = options.interrupt;
  auto store = PatientStore(std::move(opened), std::move(patience));
  // While it waits (SQLite's lock, the patience's pauses), the trials go on:
  // their output is read (no trial blocks on a full pipe, reports keep
  // their times), trials that end are reaped and timeouts enforced, so end
  // times and exit records are right even if the wait is given up.
  store->SetWaitHook([executor = executor.get()] { executor->KeepUp(); });
  CaptureOptions capture_options;
  capture_options.fingerprint_cache_file = std::filesystem::path(cwd) / ".cairn" / "fingerprints.json";
  Capturer capturer(capture_options);
  UtilizationSampler utilization;
  StudyParts parts{store.get(), executor.get(), RealClock::Default(), sampler.get(), scheduler.get(),
                   &capturer, &utilization};
  CoordinatorOptions coord;
  coord.gpu_ids = gpus;
  if (spec.packing == "auto") {
    coord.gpu_memory_bytes = SmallestGpuMemory(gpus);
    if (coord.gpu_memory_bytes == 0 && !gpus.empty()) {
      say("packing: auto cannot read the GPUs' memory (no NVML library): trials run one per GPU");
    }
  }
  coord.trials_root = std::filesystem::path(cwd) / ".cairn" / "trials";
  coord.interrupt = options.interrupt;
  coord.kill = options.kill;
  coord.on_progress = options.on_progress;
  coord.on_message = options.on_message;
  CAIRN_ASSIGN_OR_RETURN(auto coordinator, Coordinator::Create(spec, parts, std::move(coord)));
  return coordinator->Run();
}

}  // namespace cairn
