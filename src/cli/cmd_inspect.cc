// cairn ls | status STUDY | show STUDY TRIAL: look at what a store holds.
#include <iostream>

#include "cairn/report.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

// Runs `view` against the store and prints its JSON or its text rendering.
int PrintView(const Context& ctx, bool json,
              const std::function<Result<nlohmann::json>(Store&)>& view,
              const std::function<std::string(const nlohmann::json&)>& render) {
  auto store = OpenCliStore(ctx);
  if (!store.ok()) return Fail(store.status());
  auto result = view(**store);
  if (!result.ok()) return Fail(result.status());
  if (json) {
    PrintJson(*result);
  } else {
    std::cout << render(*result);
  }
  return 0;
}

}  // namespace

namespace {

void RegisterInspect(CLI::App& app, Context& ctx) {
  struct Args {
    std::string study;
    int trial = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();

  auto* ls = app.add_subcommand("ls", "List the studies in the store");
  ls->add_flag("--json", args->json, "print JSON");
  AddStoreOption(ls, ctx);
  ls->callback([args, &ctx] {
    ctx.exit_code = PrintView(ctx, args->json, [](Store& s) { return ListStudiesJson(s); }, RenderStudyList);
  });

  auto* status = app.add_subcommand("status", "Show a study's trials: state, parameters, value, steps");
  status->add_option("study", args->study, "study name")->required();
  status->add_flag("--json", args->json, "print JSON");
  AddStoreOption(status, ctx);
  status->callback([args, &ctx] {
    ctx.exit_code = PrintView(
        ctx, args->json, [&](Store& s) { return StudyStatusJson(s, args->study); }, RenderStudyStatus);
  });

  auto* show = app.add_subcommand("show", "Show one trial: how it was run, how and why it ended, its metrics");
  show->add_option("study", args->study, "study name")->required();
  show->add_option("trial", args->trial, "trial number")->required()->check(AtLeast(0));
  show->add_flag("--json", args->json, "print JSON");
  AddStoreOption(show, ctx);
  show->callback([args, &ctx] {
    ctx.exit_code = PrintView(
        ctx, args->json, [&](Store& s) { return TrialDetailsJson(s, args->study, args->trial); },
        RenderTrialDetails);
  });
}

const CommandRegistrar kInspectRegistrar(20, "inspect", RegisterInspect);

}  // namespace

}  // namespace cairn::cli
