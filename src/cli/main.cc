// cairn: the command-line front of libcairn. Each command family lives in its
// own file and only parses arguments and calls the library.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cairn/version.h"
#include "cli/common.h"

namespace {

// "unknown command 'x'; the commands are ..." for a word where a command or
// a command's subcommand belongs (CLI11 would only say that one is
// required); empty when the words name commands.
std::string UnknownCommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* level = &app;
  std::string path = "cairn";
  for (int i = 1; i < argc && argv[i][0] != '-'; ++i) {
    auto subs = level->get_subcommands({});
    if (subs.empty()) return "";  // the words that follow are the command's own
    const CLI::App* next = nullptr;
    std::string names;
    for (const CLI::App* sub : subs) {
      if (sub->get_name() == argv[i]) next = sub;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (next == nullptr) {
      return level == &app ? "unknown command '" + std::string(argv[i]) + "'; the commands are " + names
                           : "unknown command '" + std::string(argv[i]) + "' of " + path + "; its commands are " +
                                 names;
    }
    level = next;
    path += " " + next->get_name();
  }
  return "";
}

}  // namespace

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
  if (std::string unknown = UnknownCommand(app, argc, argv); !unknown.empty()) {
    std::cerr << "cairn: error: " << unknown << "\n";
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
