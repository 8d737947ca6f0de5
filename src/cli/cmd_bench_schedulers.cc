// cairn bench schedulers: early-stopping rules replayed on recorded curves,
// optionally next to Optuna's pruners on the same orders (docs/replay.md).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cairn/bench_schedulers.h"
#include "cairn/json_text.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct SchedulerBenchArgs {
  std::string curves;
  int trials = 200;
  int repeats = 5;
  uint64_t seed = 0;
  std::vector<std::string> schedulers = {"none", "median", "asha", "hyperband", "predictive"};
  int workers = 1;
  std::string scheduler_options = "{}";
  std::string peer;
  bool json = false;
};

int RunBench(SchedulerBenchArgs args) {
  // "asha, median" means the same as "asha,median".
  for (std::string& name : args.schedulers) {
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
  }
  for (auto it = args.schedulers.begin(); it != args.schedulers.end(); ++it) {
    if (it->empty()) {
      return Fail(InvalidArgument("--schedulers: an empty name; expected rules separated by commas, such as "
                                  "none,median,asha,hyperband,predictive"));
    }
    if (std::find(args.schedulers.begin(), it, *it) != it) {
      return Fail(InvalidArgument(fmt::format("--schedulers: '{}' is named twice", *it)));
    }
  }
  if (!args.peer.empty() && args.peer != "optuna") {
    return Fail(InvalidArgument(fmt::format("--peer '{}': the only peer is 'optuna'", args.peer)));
  }
  if (!args.peer.empty() && args.workers != 1) {
    return Fail(InvalidArgument("--peer optuna replays trials one after another; use --workers 1"));
  }
  auto parsed_options = ParseJsonText(args.scheduler_options, "--scheduler-options");
  if (!parsed_options.ok()) return Fail(parsed_options.status());
  nlohmann::json scheduler_options = std::move(*parsed_options);
  if (!scheduler_options.is_object()) {
    return Fail(InvalidArgument(fmt::format(
        "--scheduler-options: expected a JSON object of options by scheduler name, such as "
        "'{{\"predictive\": {{\"p_keep\": 0.3}}}}', got '{}'", args.scheduler_options)));
  }
  for (const auto& [name, value] : scheduler_options.items()) {
    if (std::find(args.schedulers.begin(), args.schedulers.end(), name) == args.schedulers.end()) {
      return Fail(InvalidArgument(fmt::format(
          "--scheduler-options: '{}' is not among --schedulers ({})", name, fmt::join(args.schedulers, ","))));
    }
    if (!value.is_object()) {
      return Fail(InvalidArgument(fmt::format(
          "--scheduler-options: the options of '{}' must be a JSON object, got {}", name, value.dump())));
    }
  }
  SchedulerBenchOptions options;
  options.curves = args.curves;
  options.n = args.trials;
  options.repeats = args.repeats;
  options.seed = args.seed;
  options.schedulers = args.schedulers;
  options.workers = args.workers;
  options.scheduler_options = std::move(scheduler_options);
  if (!args.peer.empty()) {
    // Before our replays: a missing optuna should not cost their time first.
    if (Status st = CheckPeerBench(options); !st.ok()) return Fail(st.WithContext("--peer optuna"));
  }
  std::cerr << fmt::format("cairn: replaying {} schedulers x {} studies of {} trials from {}\n",
                           args.schedulers.size(), args.repeats, args.trials, args.curves);
  auto ours = RunSchedulerBench(options, [](const std::string& line) { std::cerr << "cairn: " << line << "\n"; });
  if (!ours.ok()) return Fail(ours.status());
  std::optional<nlohmann::json> peer;
  if (!args.peer.empty()) {
    std::cerr << "cairn: running Optuna's pruners on the same orders (bench/optuna_pruners.py)...\n";
    auto r = RunPeerBench(options);
    if (!r.ok()) return Fail(r.status().WithContext("--peer optuna"));
    peer = std::move(*r);
  }
  if (args.json) {
    PrintJson(peer ? nlohmann::json{{"cairn", *ours}, {"peer", *peer}} : *ours);
  } else {
    std::cout << RenderBenchTable(*ours, peer ? &*peer : nullptr);
  }
  return 0;
}

void RegisterSchedulerBench(CLI::App& app, Context& ctx) {
  // The bench family (cmd_bench.cc, order 80) has made `bench` already.
  auto* bench = app.get_subcommand("bench");
  auto args = std::make_shared<SchedulerBenchArgs>();
  auto* cmd = bench->add_subcommand(
      "schedulers",
      "Replay recorded learning curves through the early-stopping rules: epochs saved, regret, best found\n"
      "(definitions: docs/replay.md)");
  cmd->add_option("--curves", args->curves, "the curve file (.jsonl or .jsonl.gz)")->required();
  cmd->add_option("--trials", args->trials, "configurations per study")
      ->check(AtLeast(1))
      ->capture_default_str();
  cmd->add_option("--repeats", args->repeats, "studies per scheduler, each in its own order")
      ->check(AtLeast(1))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "the first study's order number")
      ->check(AtLeast(0))->capture_default_str();
  cmd->add_option("--schedulers", args->schedulers, "comma-separated rules to compare")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--workers", args->workers, "simulated workers (trials at once)")
      ->check(AtLeast(1))
      ->capture_default_str();
  cmd->add_option("--scheduler-options", args->scheduler_options,
                  "options by scheduler name, as a study file gives them beside\n"
                  "the pruner's name (pruner: {name: predictive, p_keep: 0.3}):\n"
                  "'{\"predictive\": {\"p_keep\": 0.3}, \"asha\": {\"reduction_factor\": 4}}'");
  cmd->add_option("--peer", args->peer, "also run a peer on the same orders: optuna");
  cmd->add_flag("--json", args->json, "print JSON ({\"cairn\": ..., \"peer\": ...} with --peer)");
  cmd->footer(RuleOptionsHelp);  // built when --help asks, not at every start
  cmd->callback([args, &ctx] { ctx.exit_code = RunBench(*args); });
}

const CommandRegistrar kBenchSchedulersRegistrar(85, "bench schedulers", RegisterSchedulerBench);

}  // namespace
}  // namespace cairn::cli
