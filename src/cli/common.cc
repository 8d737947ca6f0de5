#include "cli/common.h"

#include <filesystem>
#include <iostream>

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

}  // namespace cairn::cli
