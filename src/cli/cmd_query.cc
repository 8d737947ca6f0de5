// cairn query | diff | stats | importance: questions across the studies of a
// store (docs/query.md).
#include <iostream>

#include "cairn/diff.h"
#include "cairn/importance.h"
#include "cairn/query.h"
#include "cairn/stats.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct QueryArgs {
  std::string expr;
  std::string sort;
  int limit = 0;
  std::string a, b, c;  // diff: two trials, or STUDY A B
  bool all = false;
  std::string study;
  std::vector<std::string> studies;
  int trees = 64;
  uint64_t seed = 1;
  bool json = false;
};

int RunQueryCommand(const Context& ctx, const QueryArgs& args) {
  auto store = OpenCliStore(ctx);
  if (!store.ok()) return Fail(store.status());
  auto index = TrialIndex::Build(**store);
  if (!index.ok()) return Fail(index.status());
  auto result = RunQuery(*index, args.expr, {.sort = args.sort, .limit = args.limit});
  if (!result.ok()) return Fail(result.status());
  if (args.json) PrintJson(QueryResultJson(*index, *result));
  else std::cout << RenderQueryTable(*index, *result);
  return 0;
}

int RunDiffCommand(const Context& ctx, const QueryArgs& args) {
  // `cairn diff digits 2 10` reads as digits:2 and digits:10.
  const std::string first = args.c.empty() ? args.a : args.a + ":" + args.b;
  const std::string second = args.c.empty() ? args.b : args.a + ":" + args.c;
  auto a = ParseTrialRef(first);
  if (!a.ok()) return Fail(a.status());
  auto b = ParseTrialRef(second);
  if (!b.ok()) return Fail(b.status());
  auto store = OpenCliStore(ctx);
  if (!store.ok()) return Fail(store.status());
  auto diff = DiffTrials(**store, *a, *b);
  if (!diff.ok()) return Fail(diff.status());
  if (args.json) PrintJson(args.all ? *diff : OnlyDifferences(*diff));
  else std::cout << RenderDiff(*diff, args.all);
  return 0;
}

int RunStatsCommand(const Context& ctx, const QueryArgs& args) {
  auto store = OpenCliStore(ctx);
  if (!store.ok()) return Fail(store.status());
  TrialIndexOptions options;
  if (!args.study.empty()) options.studies = {args.study};
  auto index = TrialIndex::Build(**store, options);
  if (!index.ok()) return Fail(index.status());
  auto stats = ComputeStats(*index);
  if (args.json) PrintJson(stats);
  else std::cout << RenderStats(stats);
  return 0;
}

int RunImportanceCommand(const Context& ctx, const QueryArgs& args) {
  auto store = OpenCliStore(ctx);
  if (!store.ok()) return Fail(store.status());
  auto report = StudyImportance(**store, args.studies, {.trees = args.trees, .seed = args.seed});
  if (!report.ok()) return Fail(report.status());
  if (args.json) PrintJson(ImportanceJson(*report));
  else std::cout << RenderImportance(*report);
  return 0;
}

void RegisterQuery(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<QueryArgs>();

  auto* query = app.add_subcommand("query", "Find trials across all studies with a query expression");
  query->footer(
      "Example:\n"
      "  cairn query 'study = \"digits\" AND (params.lr < 0.01 OR params.optimizer IN (\"adam\", \"sgd\"))\n"
      "               AND metrics.val_acc > 0.9 AND gpu.name ~ \"A100\"' --sort -value --limit 10\n"
      "Fields: study objective number id ark state value steps (reports) step (last step reached)\n"
      "  params.NAME metrics.KEY[.best|.min|.max|.last|.steps|.nonfinite] end_reason exit_code signal created\n"
      "  started ended duration gpu.name gpu.uuid gpu.memory gpu.count\n"
      "  host.FIELD env.PACKAGE envvar.NAME dataset.PATH code.commit code.branch code.dirty seed attrs.PATH\n"
      "Operators: = != < <= > >= ~ (RE2 search) !~ IN (...) NOT IN (...) EXISTS f, f IS [NOT] NULL,\n"
      "  AND OR NOT ( ). Dates: created > \"2026-11-01\". See docs/query.md.");
  query->add_option("expr", args->expr, "query expression (empty: every trial)");
  query->add_option("--sort", args->sort, "sort by this field; prefix '-' for descending (e.g. -value)");
  query->add_option("--limit", args->limit, "show at most N trials (0: all)")->check(AtLeast(0));
  query->add_flag("--json", args->json, "print the matching trials as JSON");
  AddStoreOption(query, ctx);
  query->callback([args, &ctx] { ctx.exit_code = RunQueryCommand(ctx, *args); });

  auto* diff = app.add_subcommand("diff", "Compare two trials: params, code, packages, env, host, GPUs, data, metrics");
  diff->footer(
      "A trial is STUDY:NUMBER, an ARK (ark:/NAAN/NAME/tN; a study ARK means its best trial), or a study\n"
      "name (its best completed trial); `cairn diff STUDY 2 10` compares two trials of one study.\n"
      "Dataset rows with the same path but another hash are DATA DRIFT.");
  diff->add_option("a", args->a, "first trial (or the study, with three arguments)")->required();
  diff->add_option("b", args->b, "second trial (or the first trial's number)")->required();
  diff->add_option("c", args->c, "the second trial's number, with STUDY A B");
  diff->add_flag("--all", args->all, "show the rows that are the same too");
  diff->add_flag("--json", args->json, "print JSON");
  AddStoreOption(diff, ctx);
  diff->callback([args, &ctx] { ctx.exit_code = RunDiffCommand(ctx, *args); });

  auto* stats = app.add_subcommand("stats", "Models trained, compute hours used and saved by early stopping, sizes");
  stats->add_option("study", args->study, "only this study (default: all)");
  stats->add_flag("--json", args->json, "print JSON");
  AddStoreOption(stats, ctx);
  stats->callback([args, &ctx] { ctx.exit_code = RunStatsCommand(ctx, *args); });

  auto* importance = app.add_subcommand("importance", "How much each parameter explains the objective (fANOVA)");
  importance->footer(
      "Fits a random forest on the completed trials (pooled across the studies named, which should share\n"
      "a search space; at least 8 completed trials with a value) and reports each parameter's share of\n"
      "the objective's variance (fANOVA main effects), with its spread across the forest's trees.");
  importance->add_option("studies", args->studies, "one or more studies")->required();
  importance->add_option("--trees", args->trees, "trees in the forest")->check(AtLeast(1))->capture_default_str();
  importance->add_option("--seed", args->seed, "random seed (results are deterministic for a seed)")
      ->check(AtLeast(0))
      ->capture_default_str();
  importance->add_flag("--json", args->json, "print JSON");
  AddStoreOption(importance, ctx);
  importance->callback([args, &ctx] { ctx.exit_code = RunImportanceCommand(ctx, *args); });
}

const CommandRegistrar kQueryRegistrar(40, "query", RegisterQuery);

}  // namespace
}  // namespace cairn::cli
