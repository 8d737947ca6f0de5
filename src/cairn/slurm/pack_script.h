// The batch script and sbatch command line of a pack: several trials side
// by side in one allocation (`pack: K`).
//
// The pack script never holds a trial's argv or environment: each trial
// still runs its own slurm_job.sh (job_script.h, every word single-quoted).
// The pack script only names the trial dirs and workdirs, single-quoted
// too, and starts each trial's script in a session of its own, so that one
// trial can be stopped without touching the others.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/executor.h"
#include "cairn/slurm_executor.h"
#include "cairn/status.h"

namespace cairn::slurm_internal {

// Files in each trial dir that the pack script and the executor share.
inline constexpr const char* kStopFile = "slurm_stop";   // Cairn writes it: stop this trial
inline constexpr const char* kExitFile = "slurm_exit";   // the pack writes the trial's exit status
inline constexpr const char* kPidFile = "slurm_pid";     // the pack writes the trial's process group
inline constexpr const char* kDoneFile = "slurm_done";   // Cairn writes it: the trial's end is recorded
inline constexpr const char* kJobRecord = "slurm_job.json";  // Cairn writes it: job id (and pack slot)
inline constexpr const char* kPackScript = "slurm_pack.sh";  // in the first trial's dir
inline constexpr const char* kPackLog = "slurm_pack.log";    // the pack script's own output

// "#!/bin/sh" + the trials' dirs, workdirs and grace periods (single-quoted)
// + a fixed body that runs each one's slurm_job.sh, passes its stop file on
// as signals and writes its exit status. With gpus_per_trial > 0, trial i
// gets entries i*g .. i*g+g-1 of the allocation's CUDA_VISIBLE_DEVICES.
// InvalidArgument for no trials or a NUL byte in a path.
Result<std::string> BuildPackScript(const std::vector<LaunchRequest>& trials, int gpus_per_trial);

// The sbatch argv that submits the pack script `script` for `trials`: one
// node, one task per trial, K times the per-trial GPUs, CPUs and memory, the
// longest of the trials' time limits, output to the first trial's dir.
std::vector<std::string> BuildPackSbatchArgv(const SlurmExecutorOptions& options,
                                             const std::vector<LaunchRequest>& trials, const std::string& script);

// "cairn-<study>-<n0>+<n1>+...".
std::string PackJobName(const std::string& study, const std::vector<LaunchRequest>& trials);

// "16G" times k ("32G" for k = 2); the text unchanged when it is not a size.
std::string ScaleMem(const std::string& mem, int k);

// The exit status in a slurm_exit file ("0\n", "143\n"); nullopt while it
// is missing, empty or half written.
std::optional<int> ReadExitFile(const std::filesystem::path& path);

// The ExitEvent of a packed trial from the exit status its pack wrote:
// 0..128 exited with that code, 128+N killed by signal N; `stopped` (Cairn
// asked for it) wins. `where` names the job and slot, e.g. "Slurm job 8 on
// n1, slot 2 of 2".
ExitEvent PackedTrialEnd(int64_t trial_id, int status, bool stopped, const std::string& where, double time);

}  // namespace cairn::slurm_internal
