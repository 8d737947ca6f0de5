#include "cli/common.h"

#include <filesystem>
#include <algorithm>
#include <iostream>
#include <vector>

#include <fmt/format.h>

#include "cairn/scheduler.h"

namespace cairn::cli {

void AddStoreOption(CLI::App* command, Context& ctx) {
  command->add_option("--store", ctx.store_url,
                      "store URL: sqlite:///path/to.db or postgresql://... (default: $CAIRN_STORE, "
                      "else .cairn/cairn.db in the current folder)");
}

Result<std::unique_ptr<Store>> OpenCliStore(const Context& ctx, StoreUse use) {
  const std::string url = ResolveStoreUrl(ctx.store_url, std::filesystem::current_path().string(),
                                          /*create_folder=*/use != StoreUse::kReadExisting);
  const bool sqlite = url.find("://") == std::string::npos || url.starts_with("sqlite://");
  if (use == StoreUse::kReadExisting && sqlite) {
    const std::string path = url.starts_with("sqlite://") ? url.substr(9) : url;
    std::error_code ec;
    if (path != ":memory:" && !std::filesystem::exists(path, ec)) {
      return NotFound("no store at " + path + ": nothing was run or imported with it yet (check --store or "
                      "$CAIRN_STORE; `cairn run` creates it)");
    }
  }
  return OpenStore(url);
}

CLI::Validator AtLeast(long long min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(text, &used);
        } catch (const std::out_of_range&) {
          // Past long long: fine for a large unsigned value (a seed), not below.
          if (!text.empty() && text[0] != '-' && text.find_first_not_of("0123456789") == std::string::npos) return {};
          used = 0;
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size()) return "expected a whole number, got '" + text + "'";
        if (v < min) return "expected " + std::to_string(min) + " or more, got " + text;
        return {};
      },
      ">=" + std::to_string(min));
}

std::string RuleOptionsHelp() {
  constexpr size_t kWidth = 100;
  const std::string indent(14, ' ');
  std::string text = "Each rule's options and their defaults (what they do: docs/schedulers.md):\n";
  for (const char* rule : {"median", "asha", "hyperband", "predictive"}) {
    auto settings = SchedulerSettings(rule);
    if (!settings.ok()) continue;
    std::string line = fmt::format("  {:<12}", rule);
    for (const auto& [key, value] : settings->items()) {
      const std::string item = key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
      if (line.size() > indent.size() && line.size() + 1 + item.size() > kWidth) {
        text += line + "\n";
        line = indent;
      }
      if (line.back() != ' ') line += ' ';
      line += item;
    }
    text += line + "\n";
  }
  return text;
}

int Fail(const Status& status) {
  std::cerr << "cairn: error: " << status.message() << "\n";
  return status.code() == StatusCode::kInvalidArgument || status.code() == StatusCode::kNotFound ? 2 : 1;
}

// Text a program printed (a stderr tail, a label) need not be UTF-8; JSON
// must be: such bytes become U+FFFD rather than failing the whole command.
void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

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
