// cairn replay STUDY --pruner asha: what would another scheduler have done?
#include <iostream>

#include <fmt/format.h>

#include "cairn/bench_schedulers.h"
#include "cairn/json_text.h"
#include "cairn/replay_study.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct ReplayArgs {
  std::string study;
  std::string curves;
  std::string pruner = "asha";
  std::string pruner_options;  // empty: the study's own for the rule it ran with, else the defaults
  int workers = 0;
  int trials = 0;
  std::optional<uint64_t> seed;
  bool json = false;
  bool list = false;
};

// What the study itself ran with, and why a replay of that same rule
// cannot show what its stops saved.
std::string RecordedLine(const nlohmann::json& r) {
  if (!r.contains("recorded")) return "";
  const nlohmann::json& rec = r["recorded"];
  const std::string pruner = rec.value("pruner", "?");
  const nlohmann::json options = rec.value("pruner_options", nlohmann::json::object());
  std::string out = fmt::format("  the study ran with {}{}: {} steps", pruner,
                                options.empty() ? std::string() : " " + options.dump(),
                                rec.value("steps_used", int64_t{0}));
  if (pruner == r["pruner"].get<std::string>()) {
    out += "; its stops are already in the record, so replaying the same rule cannot credit them (a stopped\n"
           "  trial's later steps were never run); replay another rule to compare";
  }
  return out + "\n";
}

std::string Render(const nlohmann::json& r) {
  const nlohmann::json& options = r.value("pruner_options", nlohmann::json::object());
  const bool study_options = r.value("pruner_options_from", "") == "study";
  std::string out = fmt::format("replayed {} trials with {}{}{} ({} at a time)\n", r["trials"].get<int>(),
                                r["pruner"].get<std::string>(),
                                options.empty() ? std::string() : " " + options.dump(),
                                study_options ? " (the study's own settings)" : "", r["workers"].get<int>());
  out += RecordedLine(r);
  if (const nlohmann::json& p = r.value("parameters", nlohmann::json()); p.is_object()) {
    out += "  parameters the rule reads: " + DescribeParameters(p) + "\n";
  }
  out += fmt::format("  steps:   {} of {} ({:.1f}% saved; {} trials stopped early)\n", r["steps_used"].get<int64_t>(),
                     r["steps_full"].get<int64_t>(), 100.0 * r["saved_fraction"].get<double>(),
                     r.value("stopped", 0));
  if (r["hours_saved"].is_number()) {
    out += fmt::format("  compute: {:.3g} of {:.3g} hours ({:.3g} hours saved)\n",
                       r["seconds_used"].get<double>() / 3600, r["seconds_full"].get<double>() / 3600,
                       r["hours_saved"].get<double>());
  } else {
    out += fmt::format("  compute: not timed ({} of the curves record no seconds); steps stand for time\n",
                       r.value("untimed_curves", 0));
  }
  if (!r["best_all"].is_null()) {
    out += fmt::format("  best trial: {} ({:.6g}; {})\n", r["best_all"]["number"].get<int>(),
                       r["best_all"]["value"].get<double>(), r["best_all"].value("id", "?"));
  }
  if (r["best_all"].is_null()) {
    out += "  no trial has a final value to win with (none ran to its end in the record without a null)\n";
  } else if (r["best_found"].is_null()) {
    out += "  the winner would have been lost: no trial ran to its end\n";
  } else if (r["lost_winner"].get<bool>()) {
    out += fmt::format("  the winner would have been lost: best kept is trial {} ({:.6g}; {}), regret {}\n",
                       r["best_found"]["number"].get<int>(), r["best_found"]["value"].get<double>(),
                       r["best_found"].value("id", "?"),
                       r["regret"].is_number() ? fmt::format("{:.6g}", r["regret"].get<double>()) : "-");
    const nlohmann::json& w = r["winner"];
    if (w.is_object() && w["state"] == "stopped") {
      const int64_t steps = w["steps"].get<int64_t>();
      const int64_t reports = w.value("reports", steps);
      // A program that reported every 10th step: "at step 30 (3 reports)".
      const std::string where = reports == steps
                                    ? fmt::format("after {} step{}", steps, steps == 1 ? "" : "s")
                                    : fmt::format("at step {} ({} report{})", steps, reports, reports == 1 ? "" : "s");
      out += fmt::format("  trial {} was stopped {}: {}\n", w["number"].get<int>(), where,
                         w["reason"].get<std::string>());
    }
  } else {
    out += "  the winner would have been kept\n";
    const nlohmann::json& w = r["winner"];
    if (w.is_object() && w.contains("kept") && w["kept"].is_array() && !w["kept"].empty()) {
      // Kept only because the rule overruled its rungs: the early ranks
      // did not pick it.
      const nlohmann::json& k = w["kept"].front();
      out += fmt::format("  ... though trial {} lost a rung at step {} and was kept past it: {}\n",
                         w["number"].get<int>(), k.value("step", int64_t{0}), k.value("reason", std::string()));
    }
  }
  if (r.contains("note")) out += "  note: " + r["note"].get<std::string>() + "\n";
  if (r.contains("each")) {
    // The recorded final is what the trial would have ended at, had it run.
    out += fmt::format("{:>6}  {:<10}  {:>6}  {:>14}  {}\n", "TRIAL", "STATE", "STEP", "RECORDED FINAL", "WHY");
    for (const auto& t : r["each"]) {
      out += fmt::format("{:>6}  {:<10}  {:>6}  {:>14}  {}\n", t["number"].get<int>(), t["state"].get<std::string>(),
                         t["step"].get<int64_t>(),
                         t["final"].is_number() ? fmt::format("{:.6g}", t["final"].get<double>()) : "-",
                         t["reason"].get<std::string>());
    }
  }
  return out;
}

int Replay(const ReplayArgs& args, const Context& ctx) {
  if (!args.study.empty() && !args.curves.empty()) {
    return Fail(InvalidArgument("give either a STUDY or --curves FILE (not both)"));
  }
  if (args.workers < 0) {
    return Fail(InvalidArgument(fmt::format("--workers {}: expected 0 (the study's own) or more", args.workers)));
  }
  if (args.trials < 0) return Fail(InvalidArgument(fmt::format("--trials {}: expected 0 (all) or more", args.trials)));
  if (args.trials > 0 && args.curves.empty()) {
    return Fail(InvalidArgument("--trials is for --curves FILE; a study is replayed whole"));
  }
  nlohmann::json options_json = nlohmann::json::object();
  if (!args.pruner_options.empty()) {
    auto parsed_options = ParseJsonText(args.pruner_options, "--pruner-options");
    if (!parsed_options.ok()) return Fail(parsed_options.status());
    options_json = std::move(*parsed_options);
    if (!options_json.is_object()) {
      return Fail(InvalidArgument("--pruner-options: expected a JSON object such as '{\"p_keep\": 0.3}', got " +
                                  args.pruner_options));
    }
  }
  ReplayStudyOptions options{.study = args.study,
                             .pruner = args.pruner,
                             .pruner_options = options_json,
                             .use_study_pruner_options = args.pruner_options.empty(),
                             .workers = args.workers,
                             .seed = args.seed,
                             .list_trials = args.list};
  Result<nlohmann::json> report = InvalidArgument("give a STUDY or --curves FILE");
  if (!args.curves.empty()) {
    auto curves = ReadCurvesFile(args.curves);
    if (!curves.ok()) return Fail(curves.status());
    if (Status st = CheckOneTask(*curves, args.curves); !st.ok()) return Fail(st);
    if (args.trials > 0 && static_cast<size_t>(args.trials) < curves->size()) curves->resize(args.trials);
    if (args.trials > 0 && static_cast<size_t>(args.trials) > curves->size()) {
      std::cerr << fmt::format("cairn: note: {} holds {} curves; replaying all of them, not {}\n", args.curves,
                               curves->size(), args.trials);
    }
    if (options.workers <= 0) options.workers = 1;
    report = ReplayCurves(*curves, options);
  } else if (!args.study.empty()) {
    auto store = OpenCliStore(ctx);
    if (!store.ok()) return Fail(store.status());
    report = ReplayStudy(**store, options);
  }
  if (!report.ok()) return Fail(report.status());
  if (args.json) {
    PrintJson(*report);
  } else {
    fmt::print("{}", Render(*report));
  }
  return 0;
}

void RegisterReplay(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay", "Replay a finished study's learning curves with another pruner, in simulated time:\n"
                "how much compute would it have saved, and would it have lost the winner?");
  cmd->add_option("study", args->study, "a study in the store");
  cmd->add_option("--curves", args->curves, "replay a curve file (.jsonl[.gz]) instead of a study");
  cmd->add_option("--pruner", args->pruner, "none | median | asha | hyperband | predictive")->capture_default_str();
  cmd->add_option("--pruner-options", args->pruner_options,
                  "the pruner's options as a JSON object (default: the study's own when --pruner names the\n"
                  "rule it ran with, else the rule's defaults; '{}' for the defaults)");
  cmd->add_option("--workers", args->workers, "simulated trials at once (default: the study's parallel)");
  cmd->add_option("--trials", args->trials, "with --curves: replay only the first N curves (0, the default: all)");
  cmd->add_option("--seed", args->seed, "seed of the pruner (default: the study's own seed, so its own rule replays\n"
                                       "as it ran; 0 with --curves)")
      ->check(AtLeast(0));
  cmd->add_flag("--list", args->list,
                "also list every trial: how far the rule let it run, its recorded final, why it ended");
  cmd->add_flag("--json", args->json, "print JSON");
  AddStoreOption(cmd, ctx);
  cmd->footer(RuleOptionsHelp);  // built when --help asks, not at every start
  cmd->callback([args, &ctx] { ctx.exit_code = Replay(*args, ctx); });
}

const CommandRegistrar kReplayRegistrar(60, "replay", RegisterReplay);

}  // namespace
}  // namespace cairn::cli
