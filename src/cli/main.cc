// cairn: the command-line front of libcairn. Each command family lives in its
// own file and only parses arguments and calls the library.
#include <CLI/CLI.hpp>

#include "cairn/version.h"
#include "cli/common.h"

int main(int argc, char** argv) {
  CLI::App app{
      "cairn: search the hyperparameters of your existing training program, stop losing trials early,\n"
      "and record how every model was made.",
      "cairn"};
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  cairn::cli::Context ctx;
  cairn::cli::RegisterAllCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
