// Shared pieces of the CLI: the context every command sees, store opening,
// error printing and JSON output.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn::cli {

struct Context {
  std::string store_url;  // --store; "" = $CAIRN_STORE or ./.cairn/cairn.db
  int exit_code = 0;
};

// Adds --store to a command.
void AddStoreOption(CLI::App* command, Context& ctx);
// Opens the store the command should use. A command that only reads (all
// but import) does not create a SQLite store that is not there: a typo in
// --store is NotFound, not a new empty database.
enum class StoreUse { kReadExisting, kMayCreate };
Result<std::unique_ptr<Store>> OpenCliStore(const Context& ctx, StoreUse use = StoreUse::kReadExisting);

// CLI11 checks that say what was expected: "expected 1 or more, got 0".
CLI::Validator AtLeast(long long min);
// Prints "cairn: error: <message>" to stderr; returns the exit code to use
// (2 for bad input, 1 otherwise).
int Fail(const Status& status);
void PrintJson(const nlohmann::json& j);

// For --help of the commands that take a rule's options: each rule's
// options with their defaults, read from the rules themselves.
std::string RuleOptionsHelp();

// Each command family (one file each, src/cli/cmd_*.cc) registers itself:
//   static CommandRegistrar registrar(30, "bench", RegisterBench);
// main() adds the families to the app in `order` (their place in --help).
using RegisterFn = void (*)(CLI::App& app, Context& ctx);
struct CommandRegistrar {
  CommandRegistrar(int order, const char* name, RegisterFn fn);
};
// Calls every registered function in order.
void RegisterAllCommands(CLI::App& app, Context& ctx);

}  // namespace cairn::cli
