#include "cli/common.h"

#include <filesystem>
#include <algorithm>
#include <iostream>
#include <vector>

namespace cairn::cli {

void AddStoreOption(CLI::App* command, Context& ctx) {
  command->add_option("--store", ctx.store_url,
                      "store URL: sqlite:///path/to.db or postgresql://... (default: $CAIRN_STORE, "
                      "else .cairn/cairn.db in the current folder)");
}

Result<std::unique_ptr<Store>> OpenCliStore(const Context& ctx) {
  return OpenStore(ResolveStoreUrl(ctx.store_url, std::filesystem::current_path().string()));
}

int Fail(const Status& status) {
  std::cerr << "cairn: error: " << status.message() << "\n";
  return status.code() == StatusCode::kInvalidArgument || status.code() == StatusCode::kNotFound ? 2 : 1;
}

void PrintJson(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

namespace {
struct Registration {
  int order;
  const char* name;
  RegisterFn fn;
};
// A function-local static, so registrars in any file may run first.
std::vector<Registration>& Registry() {
  static std::vector<Registration> registry;
  return registry;
}
}  // namespace

CommandRegistrar::CommandRegistrar(int order, const char* name, RegisterFn fn) {
  Registry().push_back({order, name, fn});
}

void RegisterAllCommands(CLI::App& app, Context& ctx) {
  auto registry = Registry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const Registration& a, const Registration& b) { return a.order < b.order; });
  for (const auto& r : registry) r.fn(app, ctx);
}

}  // namespace cairn::cli
