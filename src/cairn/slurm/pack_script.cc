#include "cairn/slurm/pack_script.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "cairn/slurm/job_script.h"

namespace cairn::slurm_internal {
namespace {

// What every pack script does, after the lines that name its trials. POSIX
// sh (dash on Debian): no arrays, so trial i's settings are dir_i,
// workdir_i and grace_i, read with eval on the index only (eval never sees
// a value). `kill -s SIG -- -PGID` is the spelling dash and bash both
// accept for a process group.
constexpr const char* kPackBody = R"SH(
all_gpus=${CUDA_VISIBLE_DEVICES:-}

# Entries $1 .. $1+$2-1 (from 0) of the allocation's CUDA_VISIBLE_DEVICES.
gpu_slice() {
  k=0
  out=
  for dev in $(echo "$all_gpus" | tr ',' ' '); do
    if [ "$k" -ge "$1" ] && [ "$k" -lt $(($1 + $2)) ]; then out=${out:+$out,}$dev; fi
    k=$((k + 1))
  done
  echo "$out"
}

# SIGTERM to the process group of trial process $1. Until the trial's
# setsid has run, its group does not exist yet and the kill fails: try
# again while the process lives, or a stop right after the start would
# miss the SIGTERM and fall through to SIGKILL.
term_group() {
  until kill -s TERM -- "-$1" 2>/dev/null; do
    kill -s 0 "$1" 2>/dev/null || return 0
    sleep 0.05
  done
}

# Turns the trial's stop file into SIGTERM to its process group ($1), and
# SIGKILL $3 seconds later if it is still there. $2 = trial dir.
watch_stop() {
  while kill -s 0 "$1" 2>/dev/null; do
    if [ -e "$2/slurm_stop" ]; then
      term_group "$1"
      n=$3
      while [ "$n" -gt 0 ] && kill -s 0 "$1" 2>/dev/null; do
        sleep 1
        n=$((n - 1))
      done
      kill -s KILL -- "-$1" 2>/dev/null
      return
    fi
    sleep 1
  done
}

# Runs trial $1 (in a subshell) and writes its exit status to slurm_exit.
# Whether it ended on its own or in a kill of the whole job (requeue,
# cancel, time limit) only Slurm knows for sure: Cairn asks it before it
# takes the status, and writes slurm_done once it has.
run_trial() {
  eval "dir=\$dir_$1 workdir=\$workdir_$1 grace=\$grace_$1"
  if [ "$gpus_per_trial" -gt 0 ]; then
    CUDA_VISIBLE_DEVICES=$(gpu_slice $(($1 * gpus_per_trial)) "$gpus_per_trial")
    export CUDA_VISIBLE_DEVICES
  fi
  # A session of its own: its process group is the trial, nothing else.
  setsid /bin/sh -c 'cd "$1" && exec /bin/sh "$2/slurm_job.sh"' cairn-trial "$workdir" "$dir" \
    </dev/null >>"$dir/stdout.log" 2>>"$dir/stderr.log" &
  pid=$!
  echo "$pid" >"$dir/slurm_pid"
  watch_stop "$pid" "$dir" "$grace" &
  watcher=$!
  wait "$pid"
  status=$?
  # What the trial left behind ends with it, as a job's processes do.
  kill -s KILL -- "-$pid" 2>/dev/null
  kill "$watcher" 2>/dev/null
  echo "$status" >"$dir/slurm_exit"
}

# Slurm's time-limit warning (--signal=B:TERM@grace) reaches this shell
# only: pass it on to every trial still running.
pass_term() {
  i=0
  while [ "$i" -lt "$trials" ]; do
    eval "dir=\$dir_$i"
    if [ ! -s "$dir/slurm_exit" ] && [ -s "$dir/slurm_pid" ]; then
      term_group "$(cat "$dir/slurm_pid")"
    fi
    i=$((i + 1))
  done
}
trap pass_term TERM

i=0
while [ "$i" -lt "$trials" ]; do
  eval "dir=\$dir_$i"
  if [ -e "$dir/slurm_done" ]; then
    :  # Cairn recorded its end in an earlier run of this job (before a requeue)
  elif [ -e "$dir/slurm_stop" ]; then
    echo 143 >"$dir/slurm_exit"  # stopped before it (re)started
  else
    rm -f "$dir/slurm_exit" "$dir/slurm_pid"
    run_trial "$i" &
  fi
  i=$((i + 1))
done
# Until every trial has ended: a trapped signal makes wait return early.
while :; do
  wait
  [ $? -gt 128 ] || break
done
)SH";

}  // namespace

Result<std::string> BuildPackScript(const std::vector<LaunchRequest>& trials, int gpus_per_trial) {
  if (trials.empty()) return InvalidArgument("a pack needs at least one trial");
  std::string script = fmt::format(
      "#!/bin/sh\n"
      "# Cairn pack job: {} trial(s) side by side in one allocation, each run\n"
      "# from its own slurm_job.sh in a session of its own. Per trial dir:\n"
      "#   slurm_stop (Cairn writes it): SIGTERM to that trial, SIGKILL after its\n"
      "#              grace period; the other trials go on.\n"
      "#   slurm_exit (written here): its exit status, 128+N for signal N.\n"
      "#   slurm_pid  (written here): its process group.\n"
      "#   slurm_done (Cairn writes it): its end is recorded; when Slurm requeues\n"
      "#              the job, only trials without it (and not stopped) run again.\n"
      "# See docs/slurm.md.\n"
      "trials={}\ngpus_per_trial={}\n",
      trials.size(), trials.size(), std::max(0, gpus_per_trial));
  for (size_t i = 0; i < trials.size(); ++i) {
    std::string dir = AbsolutePath(trials[i].trial_dir);
    std::string workdir = AbsolutePath(trials[i].workdir);
    if (dir.find('\0') != std::string::npos || workdir.find('\0') != std::string::npos) {
      return InvalidArgument(fmt::format("trial {}: NUL byte in a path", trials[i].number));
    }
    script += fmt::format("dir_{0}={1}\nworkdir_{0}={2}\ngrace_{0}={3}\n", i, ShellQuote(dir), ShellQuote(workdir),
                          std::max<int64_t>(1, std::llround(trials[i].grace_s)));
  }
  script += kPackBody;
  return script;
}

std::string PackJobName(const std::string& study, const std::vector<LaunchRequest>& trials) {
  std::string name = JobName(study, trials.empty() ? 0 : trials[0].number);
  for (size_t i = 1; i < trials.size(); ++i) name += fmt::format("+{}", trials[i].number);
  return name;
}

std::string ScaleMem(const std::string& mem, int k) {
  size_t digits = 0;
  while (digits < mem.size() && std::isdigit(static_cast<unsigned char>(mem[digits]))) ++digits;
  if (digits == 0 || digits > 15 || mem.size() - digits > 1) return mem;
  return fmt::format("{}{}", std::stoll(mem.substr(0, digits)) * k, mem.substr(digits));
}

std::vector<std::string> BuildPackSbatchArgv(const SlurmExecutorOptions& options,
                                             const std::vector<LaunchRequest>& trials, const std::string& script) {
  const LaunchRequest& first = trials.front();
  int k = static_cast<int>(trials.size());
  std::string log = AbsolutePath(first.trial_dir) + "/" + kPackLog;
  double grace = 0;
  for (const auto& t : trials) grace = std::max(grace, t.grace_s);
  std::vector<std::string> argv =
      SbatchHead(options, PackJobName(options.study_name, trials), log, log, first.workdir, grace);
  AppendSiteArgs(options, &argv);
  // The longest limit: a trial with none (and no study-wide one) lifts it.
  std::optional<int64_t> limit = TrialTimeLimit(options, first);
  for (const auto& t : trials) {
    auto own = TrialTimeLimit(options, t);
    limit = own && limit ? std::optional<int64_t>(std::max(*own, *limit)) : std::nullopt;
  }
  if (limit) argv.push_back("--time=" + FormatSlurmTime(*limit));
  // The trials run on the batch node, not through srun: one node.
  argv.push_back("--nodes=1");
  argv.push_back(fmt::format("--ntasks={}", k));
  if (options.cpus_per_trial > 0) argv.push_back(fmt::format("--cpus-per-task={}", options.cpus_per_trial));
  if (options.gpus_per_trial > 0) argv.push_back(fmt::format("--gres=gpu:{}", k * options.gpus_per_trial));
  if (!options.mem.empty()) argv.push_back("--mem=" + ScaleMem(options.mem, k));
  argv.insert(argv.end(), options.sbatch_args.begin(), options.sbatch_args.end());
  argv.push_back(script);
  return argv;
}

std::optional<int> ReadExitFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The shell writes "N\n" in one write; without the newline it is not done.
  if (text.empty() || text.back() != '\n') return std::nullopt;
  text.pop_back();
  if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return std::stoi(text);
}

ExitEvent PackedTrialEnd(int64_t trial_id, int status, bool stopped, const std::string& where, double time) {
  ExitEvent e{trial_id, ExitKind::kExited, std::nullopt, std::nullopt, "", time};
  if (status > 128 && status < 128 + 65) e.signal = status - 128;
  if (stopped) {
    e.kind = ExitKind::kStopped;
    e.message = fmt::format("stopped ({})", where);
  } else if (e.signal) {
    e.kind = ExitKind::kSignaled;
    e.message = fmt::format("killed by signal {} ({})", *e.signal, where);
  } else {
    e.exit_code = status;
    e.message = fmt::format("exit {} ({})", status, where);
  }
  return e;
}

}  // namespace cairn::slurm_internal
