// RenderDiff: the text form of a trial diff.
#include <fmt/format.h>

#include "cairn/diff.h"
#include "cairn/query/table.h"

namespace cairn {

namespace {

std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return query::FormatNumber(v.get<double>());
  if (v.is_object() && v.contains("last")) {
    return fmt::format("last {} best {}", Cell(v["last"]), Cell(v.value("best", nlohmann::json())));
  }
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : " ") + Cell(e);
    return out;
  }
  return v.dump();
}

std::string Who(const nlohmann::json& side) {
  std::string ark = side.value("ark", "");
  return fmt::format("{}:{}{}", side["study"].get<std::string>(), side["number"].get<int>(),
                     ark.empty() ? "" : " (" + ark + ")");
}

}  // namespace

std::string RenderDiff(const nlohmann::json& diff, bool all) {
  const nlohmann::json shown = all ? diff : OnlyDifferences(diff);
  std::string out = fmt::format("A: {}\nB: {}\n", Who(diff["a"]), Who(diff["b"]));
  if (shown["sections"].empty()) return out + "\nno differences\n";
  for (const auto& s : shown["sections"]) {
    if (s["rows"].empty()) continue;
    query::Table table({"", "A", "B", ""});
    for (const auto& r : s["rows"]) {
      std::string note = r.value("drift", false) ? "DATA DRIFT" : r["change"] == "same" ? "" : r["change"].get<std::string>();
      table.AddRow({"  " + r["key"].get<std::string>(), Cell(r["a"]), Cell(r["b"]), note});
    }
    out += fmt::format("\n{}\n{}", s["name"].get<std::string>(), table.Render());
  }
  return out;
}

}  // namespace cairn
