// cairn export STUDY --format F -o PATH [--trial N] | cairn import PATH [--as NAME]
#include <iostream>

#include "cairn/export.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct ExportArgs {
  std::string study;
  std::string format = "json";
  std::string output;
  std::optional<int> trial;
  std::string license;
  bool json = false;
};

struct ImportArgs {
  std::string path;
  std::string rename_to;
  bool json = false;
};

int RunExport(const ExportArgs& args, const Context& ctx) {
  auto format = ParseExportFormat(args.format);
  if (!format) {
    return Fail(InvalidArgument("--format '" + args.format + "': expected json, ro-crate, prov, model-card or curves"));
  }
  if (args.trial && *format != ExportFormat::kModelCard) {
    return Fail(InvalidArgument("--trial applies to --format model-card only"));
  }
  auto store = OpenCliStore(ctx);
  if (!store.ok()) return Fail(store.status());
  Status s = ExportStudy(**store, args.study, {.format = *format, .output = args.output, .trial = args.trial,
                                          .license = args.license});
  if (!s.ok()) return Fail(s);
  if (args.output == "-") return 0;  // stdout holds the export itself
  if (args.json) {
    PrintJson({{"study", args.study}, {"format", args.format}, {"output", args.output}});
  } else {
    std::cout << "exported study " << args.study << " as " << args.format << " to " << args.output << "\n";
  }
  return 0;
}

int RunImport(const ImportArgs& args, const Context& ctx) {
  auto bundle = ReadBundleFile(args.path);
  if (!bundle.ok()) return Fail(bundle.status());
  auto store = OpenCliStore(ctx, StoreUse::kMayCreate);
  if (!store.ok()) return Fail(store.status());
  Status s = ImportBundle(**store, *bundle, {.rename_to = args.rename_to});
  if (!s.ok()) return Fail(s.WithContext(args.path));
  std::string name = args.rename_to.empty() ? (*bundle)["study"].value("name", "") : args.rename_to;
  size_t trials = (*bundle)["trials"].size();
  if (args.json) {
    PrintJson({{"study", name}, {"trials", trials}, {"store", (*store)->Url()}});
  } else {
    std::cout << "imported study " << name << " (" << trials << " trials) into " << (*store)->Url() << "\n";
  }
  return 0;
}

void RegisterExport(CLI::App& app, Context& ctx) {
  auto ex = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand(
      "export",
      "Export a study: json (Cairn's lossless bundle, for `cairn import`), ro-crate (an RO-Crate folder\n"
      "following the Process Run Crate profile), prov (W3C PROV-JSON), model-card (a README.md for one\n"
      "trial, the best by default) or curves (replay curves, JSON Lines). See docs/export.md.");
  cmd->add_option("study", ex->study, "study name")->required();
  cmd->add_option("--format,-f", ex->format, "json | ro-crate | prov | model-card | curves")
      ->capture_default_str();
  cmd->add_option("-o,--output", ex->output, "file to write (a folder for ro-crate; - for standard output)")->required();
  cmd->add_option("--trial", ex->trial, "model-card: the trial to describe (default: the best completed)");
  cmd->add_option("--license", ex->license, "ro-crate: license of the shared study (SPDX id or URL)");
  cmd->add_flag("--json", ex->json, "print the outcome as JSON");
  AddStoreOption(cmd, ctx);
  cmd->callback([ex, &ctx] { ctx.exit_code = RunExport(*ex, ctx); });

  auto im = std::make_shared<ImportArgs>();
  auto* imp = app.add_subcommand(
      "import",
      "Import a study from a bundle written by `cairn export --format json`, with its trials, metrics,\n"
      "identifiers and recorded environment. Fails when the name is taken; use --as to rename.");
  imp->add_option("path", im->path, "bundle file (.json)")->required()->check(CLI::ExistingFile);
  imp->add_option("--as", im->rename_to, "import under this study name")
      ->check([](const std::string& name) {
        // An empty name (an unset shell variable) must not mean "keep the old one".
        return name.empty() ? std::string("expected a study name, got an empty one") : std::string();
      });
  imp->add_flag("--json", im->json, "print the outcome as JSON");
  AddStoreOption(imp, ctx);
  imp->callback([im, &ctx] { ctx.exit_code = RunImport(*im, ctx); });
}

const CommandRegistrar kExportRegistrar(60, "export", RegisterExport);

}  // namespace
}  // namespace cairn::cli
