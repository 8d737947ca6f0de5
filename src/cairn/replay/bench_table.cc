// RenderBenchTable: the benchmark's rows as a plain-text table.
#include <fmt/format.h>

#include "cairn/bench_schedulers.h"

namespace cairn {
namespace {

double Num(const nlohmann::json& row, const char* key) {
  auto it = row.find(key);
  return it != row.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string Line(const nlohmann::json& row) {
  std::string name = row.value("name", std::string("?"));
  // Seconds to 3 significant digits: a rule's own time is often well under a millisecond.
  return fmt::format("{:<28} {:>7.1f}% {:>12.6g} {:>8.4f} {:>7.2f} {:>11.1f} {:>11.1f} {:>9.3g}\n",
                     name, 100.0 * Num(row, "saved_fraction"), Num(row, "regret"),
                     Num(row, "regret_norm"), Num(row, "found_best"), Num(row, "epochs_used"),
                     Num(row, "epochs_full"), Num(row, "seconds"));
}

void AddRows(std::string& out, const nlohmann::json& result) {
  auto it = result.find("schedulers");
  if (it == result.end() || !it->is_array()) return;
  for (const auto& row : *it) out += Line(row);
}

// "  predictive ran with {"level":"median"}" for each row not on its defaults.
void AddOptions(std::string& out, const nlohmann::json& result) {
  auto it = result.find("schedulers");
  if (it == result.end() || !it->is_array()) return;
  for (const auto& row : *it) {
    if (row.contains("options")) {
      out += fmt::format("  {} ran with {}\n", row.value("name", std::string("?")), row["options"].dump());
    }
  }
}

}  // namespace

std::string DescribeParameters(const nlohmann::json& parameters) {
  auto list = [](const nlohmann::json& names) {
    std::string text;
    if (names.is_array()) {
      for (const auto& n : names) text += (text.empty() ? "" : ", ") + n.get<std::string>();
    }
    return text;
  };
  const std::string read = list(parameters.value("read", nlohmann::json::array()));
  const std::string left = list(parameters.value("left_out", nlohmann::json::array()));
  return (read.empty() ? "none" : read) + (left.empty() ? "" : "; left out: " + left);
}

std::string RenderBenchTable(const nlohmann::json& ours, const nlohmann::json* peer) {
  std::string out = fmt::format(
      "curves {}: n={} repeats={} workers={} metric={} ({})\n",
      ours.value("curves", std::string("?")), ours.value("n", 0), ours.value("repeats", 0),
      ours.value("workers", 1), ours.value("metric", std::string("?")),
      ours.value("mode", std::string("?")));
  const std::string header =
      fmt::format("{:<28} {:>8} {:>12} {:>8} {:>7} {:>11} {:>11} {:>9}\n", "scheduler", "saved",
                  "regret", "reg_norm", "found", "epochs_used", "epochs_full", "seconds");
  out += header;
  out += std::string(header.size() - 1, '-') + "\n";
  AddRows(out, ours);
  if (peer != nullptr) {
    out += fmt::format("-- peer: optuna {} --\n", peer->value("optuna", std::string("?")));
    AddRows(out, *peer);
  }
  AddOptions(out, ours);
  if (const auto it = ours.find("parameters"); it != ours.end() && it->is_object()) {
    out += "  parameters predictive read: " + DescribeParameters(*it) + "\n";
  }
  return out;
}

}  // namespace cairn
