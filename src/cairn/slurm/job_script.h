// The batch script and sbatch command line of one trial.
//
// The script is the only place a trial's argv meets a shell, so every
// word is single-quoted ('it'\''s') and the shell sees each parameter value
// as one literal word, whatever it holds. Nothing from the trial goes into
// `#SBATCH` lines or comments: all options are on sbatch's command line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/executor.h"
#include "cairn/slurm_executor.h"
#include "cairn/status.h"

namespace cairn::slurm_internal {

// 'text' with each ' written as '\'' (safe for any byte string without NUL).
std::string ShellQuote(std::string_view text);

// The variables the trial protocol promises (CAIRN_TRIAL_ID, CAIRN_PARAMS,
// CAIRN_TRIAL_DIR, ...) on top of request.env. CUDA_VISIBLE_DEVICES is set
// empty for CPU trials and left to Slurm when GPUs are requested.
std::map<std::string, std::string> JobEnvironment(const LaunchRequest& request, int gpus_per_trial);

// "#!/bin/sh" + one `export NAME='value'` per variable + `exec 'argv0' ...`.
// InvalidArgument (naming the trial) for an empty argv, a NUL byte in a word
// or a variable name that is not [A-Za-z_][A-Za-z0-9_]*.
Result<std::string> BuildJobScript(const LaunchRequest& request,
                                   const std::map<std::string, std::string>& env);

// "D-HH:MM:SS" for sbatch --time, rounded up to whole minutes.
std::string FormatSlurmTime(int64_t seconds);

// The absolute, normalized form of `p` (the current folder for an empty one).
std::string AbsolutePath(const std::filesystem::path& p);

// Seconds a trial's Slurm time limit leaves beyond its timeout and grace.
inline constexpr int64_t kTimeLimitSlackS = 120;

// sbatch --time for a trial: the shorter of the study-wide limit and the
// trial's own timeout plus grace plus kTimeLimitSlackS (the executor
// enforces the timeout itself); nullopt for neither.
std::optional<int64_t> TrialTimeLimit(const SlurmExecutorOptions& options, const LaunchRequest& request);

// The first words of every sbatch call: --parsable, job name, output files
// (append mode), --chdir, --export=ALL, --requeue or not, and
// --signal=B:TERM@grace (the time-limit warning to the batch shell).
std::vector<std::string> SbatchHead(const SlurmExecutorOptions& options, const std::string& job_name,
                                    const std::string& out, const std::string& err,
                                    const std::filesystem::path& workdir, double grace_s);

// --partition, --account and --qos, where set.
void AppendSiteArgs(const SlurmExecutorOptions& options, std::vector<std::string>* argv);

// The sbatch argv that submits `script` for `request`.
std::vector<std::string> BuildSbatchArgv(const SlurmExecutorOptions& options, const LaunchRequest& request,
                                         const std::string& script);

// "cairn-<study>-<number>", with characters other than [A-Za-z0-9_.-] as '_'.
std::string JobName(const std::string& study, int number);

}  // namespace cairn::slurm_internal
