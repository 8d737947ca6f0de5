// cairn: the command-line front of libcairn. Each command family lives in its
// own file and only parses arguments and calls the library.
#include <iostream>

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
  bool known = false;
  std::string names;
  for (const CLI::App* sub : app.get_subcommands({})) {
    known = known || (argc > 1 && sub->get_name() == argv[1]);
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::cerr << "cairn: error: unknown command '" << argv[1] << "'; the commands are " << names << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Bad arguments are bad input: exit 2 like every other input error, with
    // the same prefix, and point at --help.
    std::cerr << "cairn: error: " << e.what() << "\n(run with --help for the options)\n";
    return 2;
  } catch (const std::exception& e) {
    // Never an abort: e.g. printing a result to a reader that went away.
    std::cerr << "cairn: error: " << e.what() << "\n";
    return 1;
  }
  return ctx.exit_code;
}
