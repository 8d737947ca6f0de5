// cairn reproduce STUDY TRIAL [--dry-run] [--json]
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "cairn/gpu.h"
#include "cairn/gpu_slots.h"
#include "cairn/reproduce.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct Args {
  std::string study;
  int trial = 0;
  bool dry_run = false;
  bool json = false;
  std::string workdir;
};

std::string Value(const nlohmann::json& v) { return v.is_null() ? "-" : v.dump(); }

void PrintText(const nlohmann::json& r) {
  const auto& o = r["original"];
  std::cout << fmt::format("original   trial {}: {} value {} after {} steps (seed {})\n", o["number"].get<int>(),
                           o["state"].get<std::string>(), Value(o["value"]), Value(o["steps"]), Value(o["seed"]));
  if (r["reproduced"].is_null()) {
    std::cout << "dry run: nothing was run\n";
    return;
  }
  const auto& n = r["reproduced"];
  const auto& d = r["difference"];
  std::cout << fmt::format("reproduced trial {}: {} value {} after {} steps\n", n["number"].get<int>(),
                           n["state"].get<std::string>(), Value(n["value"]), Value(n["steps"]));
  if (d.contains("note")) {
    std::cout << fmt::format("difference: largest per-step {} over {} steps ({})\n", Value(d["max_abs_curve_difference"]),
                             Value(d["steps_compared"]), d["note"].get<std::string>());
    return;
  }
  std::cout << fmt::format("difference: final {}, largest per-step {} over {} steps{}\n",
                           Value(d["final_value_difference"]), Value(d["max_abs_curve_difference"]),
                           Value(d["steps_compared"]), d["identical"].get<bool>() ? " (identical)" : "");
}

int Run(const Args& args, const Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store.ok()) return Fail(store.status());
  ReproduceOptions options;
  options.dry_run = args.dry_run;
  options.workdir = args.workdir;
  options.trials_root = std::filesystem::current_path() / ".cairn" / "trials";
  if (auto visible = ParseCudaVisibleDevices(std::getenv("CUDA_VISIBLE_DEVICES"))) {
    options.gpu_ids = *visible;
  } else {
    options.gpu_ids = DetectGpuIds();
  }
  // Warnings go to stderr as found, before the run starts, in both output modes.
  options.on_warning = [](const std::string& w) { std::cerr << "cairn: warning: " << w << "\n"; };
  auto report = ReproduceTrial(**store, args.study, args.trial, options);
  if (!report.ok()) return Fail(report.status());
  if (args.json) {
    PrintJson(*report);
  } else {
    PrintText(*report);
  }
  // A re-run that did not finish is a failed reproduction, whatever the
  // record says: exit 1 so scripts notice.
  const auto& again = (*report)["reproduced"];
  if (!again.is_null() && again["state"] != "completed" && again["state"] != "stopped") {
    return Fail(FailedPrecondition(fmt::format("the re-run (trial {}) ended {}; `cairn show {} {}` shows why",
                                               again["number"].get<int>(), again["state"].get<std::string>(),
                                               args.study, again["number"].get<int>())));
  }
  return 0;
}

void RegisterReproduce(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "reproduce",
      "Run a recorded trial again: compare today's code, packages, datasets, host and GPUs with the record\n"
      "and warn about each difference, then run the same command, parameters, seed and the study file's env\n"
      "as a new trial of the study and compare its result with the original. Variables that came from the\n"
      "shell the original ran in are recorded, not restored: set them again when the program needs them.");
  cmd->add_option("study", args->study, "study name")->required();
  cmd->add_option("trial", args->trial, "trial number")->required()->check(AtLeast(0));
  cmd->add_flag("--dry-run", args->dry_run, "compare the contexts only; run nothing");
  cmd->add_option("--workdir", args->workdir, "run in this folder instead of the recorded one");
  cmd->add_flag("--json", args->json, "print the report as JSON");
  cmd->footer("Exit status: 0 the re-run finished (its difference from the original is in the report); 1 it\n"
              "failed, was lost or interrupted, or the study still has trials running; 2 no such study or trial,\n"
              "or a missing work folder.");
  AddStoreOption(cmd, ctx);
  cmd->callback([args, &ctx] { ctx.exit_code = Run(*args, ctx); });
}

const CommandRegistrar kReproduceRegistrar(61, "reproduce", RegisterReproduce);

}  // namespace
}  // namespace cairn::cli
