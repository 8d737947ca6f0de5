#include "cairn/slurm/job_script.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

namespace cairn::slurm_internal {
namespace {

bool IsEnvName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string AbsolutePath(const std::filesystem::path& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p.empty() ? std::filesystem::path(".") : p, ec);
  return (ec ? p : abs.lexically_normal()).string();
}

std::optional<int64_t> TrialTimeLimit(const SlurmExecutorOptions& options, const LaunchRequest& request) {
  std::optional<int64_t> limit = options.time_s;
  if (request.timeout_s && *request.timeout_s > 0) {
    // The executor stops the trial at its timeout itself; Slurm's limit is
    // the backstop (should no coordinator watch), late enough that its
    // warning, which may come a minute early, never comes first.
    auto own = static_cast<int64_t>(std::ceil(*request.timeout_s + request.grace_s)) + kTimeLimitSlackS;
    if (!limit || own < *limit) limit = own;
  }
  return limit;
}

std::map<std::string, std::string> JobEnvironment(const LaunchRequest& request, int gpus_per_trial) {
  std::map<std::string, std::string> env = TrialEnvironment(request);
  // Device ids of this machine mean nothing on a compute node: with GPUs
  // requested, Slurm's own CUDA_VISIBLE_DEVICES is the truth.
  if (gpus_per_trial > 0) {
    env.erase("CUDA_VISIBLE_DEVICES");
  } else {
    env["CUDA_VISIBLE_DEVICES"] = "";  // a CPU trial must not grab a GPU by accident
  }
  return env;
}

Result<std::string> BuildJobScript(const LaunchRequest& request,
                                   const std::map<std::string, std::string>& env) {
  auto bad = [&](const std::string& what) {
    return InvalidArgument(fmt::format("trial {}: {}", request.number, what));
  };
  if (request.argv.empty() || request.argv[0].empty()) return bad("empty command");
  std::string script = "#!/bin/sh\n# Cairn trial job script: exports the trial protocol's variables\n"
                       "# and replaces the shell with the trial's program.\n";
  for (const auto& [name, value] : env) {
    if (!IsEnvName(name)) return bad(fmt::format("environment variable name '{}' is not valid", name));
    if (value.find('\0') != std::string::npos) return bad(fmt::format("NUL byte in variable {}", name));
    script += fmt::format("export {}={}\n", name, ShellQuote(value));
  }
  script += "exec";
  for (const std::string& word : request.argv) {
    if (word.find('\0') != std::string::npos) return bad("NUL byte in the command");
    script += ' ' + ShellQuote(word);
  }
  script += '\n';
  return script;
}

std::string FormatSlurmTime(int64_t seconds) {
  int64_t minutes = std::max<int64_t>(1, (seconds + 59) / 60);
  return fmt::format("{}-{:02}:{:02}:00", minutes / 1440, (minutes / 60) % 24, minutes % 60);
}

std::string JobName(const std::string& study, int number) {
  std::string clean = study;
  for (char& c : clean) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '_';
  }
  return fmt::format("cairn-{}-{}", clean, number);
}

std::vector<std::string> SbatchHead(const SlurmExecutorOptions& options, const std::string& job_name,
                                    const std::string& out, const std::string& err,
                                    const std::filesystem::path& workdir, double grace_s) {
  return {"sbatch", "--parsable", "--job-name=" + job_name, "--output=" + out, "--error=" + err,
          // Append: a requeued job continues the files the first run wrote.
          "--open-mode=append", "--chdir=" + AbsolutePath(workdir), "--export=ALL",
          options.requeue ? "--requeue" : "--no-requeue",
          fmt::format("--signal=B:TERM@{}", std::max<int64_t>(1, std::llround(grace_s)))};
}

void AppendSiteArgs(const SlurmExecutorOptions& options, std::vector<std::string>* argv) {
  if (!options.partition.empty()) argv->push_back("--partition=" + options.partition);
  if (!options.account.empty()) argv->push_back("--account=" + options.account);
  if (!options.qos.empty()) argv->push_back("--qos=" + options.qos);
}

std::vector<std::string> BuildSbatchArgv(const SlurmExecutorOptions& options, const LaunchRequest& request,
                                         const std::string& script) {
  std::string dir = AbsolutePath(request.trial_dir);
  std::vector<std::string> argv = SbatchHead(options, JobName(options.study_name, request.number),
                                             dir + "/stdout.log", dir + "/stderr.log", request.workdir,
                                             request.grace_s);
  AppendSiteArgs(options, &argv);
  if (auto limit = TrialTimeLimit(options, request)) argv.push_back("--time=" + FormatSlurmTime(*limit));
  if (options.gpus_per_trial > 0) argv.push_back(fmt::format("--gres=gpu:{}", options.gpus_per_trial));
  if (options.cpus_per_trial > 0) argv.push_back(fmt::format("--cpus-per-task={}", options.cpus_per_trial));
  if (!options.mem.empty()) argv.push_back("--mem=" + options.mem);
  argv.insert(argv.end(), options.sbatch_args.begin(), options.sbatch_args.end());
  argv.push_back(script);
  return argv;
}

}  // namespace cairn::slurm_internal
