// `cairn bench schedulers`: early-stopping rules replayed on recorded curves.
//
// For each scheduler and each repeat r in seed..seed+repeats-1, the first n
// configurations of the curve file in the order of BenchOrder(r) are replayed
// through a ReplayExecutor on a simulated clock with `workers` simulated
// workers (trials start in order as workers free up; workers = 1 is the
// sequential protocol of Optuna's peer). Each step's value goes to
// Scheduler::OnReport; a stop before the last step ends the trial. The
// metrics, averaged over repeats, are defined in docs/replay.md:
//
//   {"curves": FILE, "n": N, "repeats": R, "workers": W, "metric": M,
//    "mode": "max"|"min",
//    "schedulers": [{"name", "saved_fraction", "regret", "regret_norm",
//                    "found_best", "epochs_used", "epochs_full", "seconds"}]}
//
//   SchedulerBenchOptions o;  o.curves = "dev-digits.jsonl.gz";
//   CAIRN_ASSIGN_OR_RETURN(auto ours, RunSchedulerBench(o));
//   CAIRN_ASSIGN_OR_RETURN(auto peer, RunPeerBench(o));
//   std::cout << RenderBenchTable(ours, &peer);
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/curves_file.h"
#include "cairn/scheduler.h"
#include "cairn/status.h"

namespace cairn {

// Makes the scheduler called `name` (MakeScheduler's signature).
using SchedulerFactory = std::function<Result<std::unique_ptr<Scheduler>>(
    const std::string& name, const SchedulerContext& context, const nlohmann::json& options)>;

struct SchedulerBenchOptions {
  std::filesystem::path curves;  // the curve file (.jsonl or .jsonl.gz)
  int n = 200;                   // configurations per study (all when the file has fewer)
  int repeats = 5;               // studies per scheduler, each with its own order
  uint64_t seed = 0;             // the first repeat's order number r
  std::vector<std::string> schedulers = {"none", "median", "asha", "hyperband", "predictive"};
  int workers = 1;               // simulated workers; 1 = one trial after another
  // Per-scheduler options keyed by scheduler name ({"asha": {"eta": 3}});
  // a scheduler without an entry gets {}.
  nlohmann::json scheduler_options = nlohmann::json::object();
  // Builds the schedulers; empty: MakeScheduler. Tests plug in their own.
  SchedulerFactory make_scheduler;
  // RunPeerBench's script; empty: $CAIRN_SOURCE_DIR/bench/optuna_pruners.py,
  // else bench/optuna_pruners.py under the current directory, else in the
  // source tree the library was built from.
  std::filesystem::path peer_script;
};

// The indices of the first n curves of repeat r: all curves sorted by
// Sha256Hex("<r>:<id>") (ties keep file order), first n.
std::vector<size_t> BenchOrder(const std::vector<CurveRecord>& curves, uint64_t r, int n);

// Runs the benchmark; `progress` (optional) gets one line per finished study.
// InvalidArgument for bad options, an empty file, or curves of mixed
// metrics or modes; scheduler errors are returned with the scheduler's name.
Result<nlohmann::json> RunSchedulerBench(const SchedulerBenchOptions& options,
                                         std::function<void(std::string)> progress = {});

// Runs bench/optuna_pruners.py with `python` (argv, no shell) on the same
// file, n, repeats and seed, and returns its JSON (rows named optuna-*).
// Unavailable when the script or python cannot run or optuna is missing.
Result<nlohmann::json> RunPeerBench(const SchedulerBenchOptions& options,
                                    const std::string& python = "/usr/bin/python3");

// Whether RunPeerBench can run: its script exists and `python` imports
// optuna (Unavailable saying which is missing). Checked before a long bench.
Status CheckPeerBench(const SchedulerBenchOptions& options, const std::string& python = "/usr/bin/python3");

// A plain-text table of `ours` rows, then `peer` rows when given.
std::string RenderBenchTable(const nlohmann::json& ours, const nlohmann::json* peer);

// The parameters a rule read, from a report's {"read": [...], "left_out":
// [...]} (bench and replay): "lr (log), width; left out: arch (200
// choices)", "none" when it read none.
std::string DescribeParameters(const nlohmann::json& parameters);

}  // namespace cairn
