// cairn run STUDY.yaml: run a study on this machine.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cairn/run_study.h"
#include "cairn/spec.h"
#include "cli/common.h"
#include "cli/progress.h"

namespace cairn::cli {
namespace {

std::atomic<bool> g_interrupt{false};
std::atomic<bool> g_kill{false};

// First Ctrl-C: stop trials cleanly (SIGTERM, SIGKILL after the grace
// period; recorded as interrupted). Second: kill them all now, for a user
// who will not wait for programs that ignore SIGTERM; Cairn still records
// them and exits. A third takes the default action.
void OnInterrupt(int) {
  if (!g_interrupt.exchange(true)) return;
  g_kill.store(true);
  std::signal(SIGINT, SIG_DFL);
}

struct RunArgs {
  std::string study_file;
  std::optional<int> trials;
  std::optional<int> parallel;
  std::optional<uint64_t> seed;
  std::optional<int> subspace;
  std::optional<std::string> executor;
  std::optional<double> store_patience_s;
  bool json = false;
};

int Run(const RunArgs& args, const Context& ctx) {
  auto spec = ParseStudyFile(args.study_file);
  if (!spec.ok()) return Fail(spec.status());
  ProgressPrinter progress(stderr);
  RunStudyOptions options;
  options.store_url = ctx.store_url;
  options.trials = args.trials;
  options.parallel = args.parallel;
  options.seed = args.seed;
  options.subspace = args.subspace;
  options.executor = args.executor;
  options.store_patience_s = args.store_patience_s;
  options.interrupt = &g_interrupt;
  options.kill = &g_kill;
  options.on_progress = [&](const StudyProgress& p) { progress.Update(p); };
  options.on_message = [&](const std::string& m) { progress.Message("cairn: " + m); };
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  // A closed terminal or a dropped ssh session: stop the trials cleanly as
  // for Ctrl-C, rather than dying and leaving them running.
  std::signal(SIGHUP, OnInterrupt);
  // `cairn run ... | head` must not kill the coordinator when the reader
  // goes away: its trials would be left "running" with nobody to end them.
  // Writes then fail quietly; trials reset every signal to its default.
  std::signal(SIGPIPE, SIG_IGN);
  auto summary = RunStudy(*spec, options);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGHUP, SIG_DFL);
  if (!summary.ok()) {
    const int code = Fail(summary.status());
    // Ctrl-C while the store did not answer: stopped on request all the same.
    return summary.status().code() == StatusCode::kCancelled ? 130 : code;
  }
  progress.Finish(summary->progress);
  const auto& p = summary->progress;
  if (summary->ran == 0 && !summary->interrupted) {
    const int asked = args.trials.value_or(spec->trials);
    if (asked > summary->budget) {
      // A grid (or another finite space) ran every parameter set it holds:
      // a larger budget would only repeat them.
      std::cerr << fmt::format("cairn: nothing to run: the space holds {} parameter set{} and every one has run\n",
                               summary->budget, summary->budget == 1 ? "" : "s");
    } else {
      std::cerr << fmt::format("cairn: nothing to run: the study's budget of {} trial{} is used (raise "
                               "budget.trials in {}, or give --trials, to run more)\n",
                               summary->budget, summary->budget == 1 ? "" : "s", args.study_file);
    }
  }
  if (args.json) {
    PrintJson({{"study", p.study}, {"completed", p.completed}, {"stopped", p.stopped}, {"failed", p.failed},
               {"interrupted", p.interrupted}, {"lost", p.lost},
               {"best", p.best ? nlohmann::json{{"number", *p.best_trial}, {"value", *p.best}} : nlohmann::json()},
               {"elapsed_s", p.elapsed_s}});
  } else if (p.best) {
    fmt::print("best: trial {} with {} = {:.6g}  (cairn show {} {})\n", *p.best_trial, spec->metric, *p.best,
               spec->name, *p.best_trial);
  }
  if (summary->interrupted) return 130;
  // A study with no completed trial has no result: say so and fail, so a
  // script (or CI) running the study notices a broken command at once.
  if (p.completed == 0 && p.failed + p.lost > 0) {
    return Fail(FailedPrecondition(fmt::format(
        "no trial of study '{}' completed ({} failed, {} lost); `cairn status {}` lists them, `cairn show {} N` "
        "shows why trial N ended",
        p.study, p.failed, p.lost, p.study, p.study)));
  }
  return 0;
}

}  // namespace

namespace {

void RegisterRun(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run a study: search the study file's space with its command");
  cmd->add_option("study", args->study_file, "the study file (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--trials", args->trials, "number of trials (overrides budget.trials)");
  cmd->add_option("--parallel", args->parallel, "trials at once (overrides budget.parallel)");
  cmd->add_option("--seed", args->seed, "seed of the sampler and schedulers (overrides the study file)")
      ->check(AtLeast(0));
  cmd->add_option("--subspace", args->subspace,
                  "search only sub-space I (0-based) of a study whose sampler sets subspaces: N; run one "
                  "`cairn run --subspace I` per sub-space on one shared store: they share the budget and "
                  "every result (overrides sampler.subspace)")
      ->type_name("I");
  cmd->add_option("--executor", args->executor,
                  "where trials run, overriding the study file's executor: local (this machine) or slurm "
                  "(one batch job per trial; the study file's executor options are kept only when it "
                  "names slurm too)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->type_name("NAME");
  cmd->add_option("--store-patience", args->store_patience_s,
                  "seconds to wait for a store that stops answering (SQLite locked by another program, a "
                  "PostgreSQL server restarting) before the study gives up; trials keep running meanwhile "
                  "(default 300)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS");
  cmd->add_flag("--json", args->json, "print the outcome as JSON");
  cmd->footer(
      "Running the same study file again resumes the study (another budget, sampler or pruner is fine).\n"
      "Ctrl-C stops the running trials (SIGTERM, SIGKILL after budget.grace); a second Ctrl-C kills them\n"
      "at once. Either way they are recorded as interrupted and run again on the next resume.\n"
      "Exit status: 0 the study has a result; 1 no trial of it completed (every one failed); 2 a bad\n"
      "study file or option; 130 stopped by Ctrl-C, SIGTERM or SIGHUP.");
  AddStoreOption(cmd, ctx);
  cmd->callback([args, &ctx] { ctx.exit_code = Run(*args, ctx); });
}

const CommandRegistrar kRunRegistrar(10, "run", RegisterRun);

}  // namespace

}  // namespace cairn::cli
