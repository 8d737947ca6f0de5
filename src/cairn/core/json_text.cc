// ParseJsonText: nlohmann's parser with errors in a person's terms.
#include "cairn/json_text.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace cairn {
namespace {

// "[json.exception.parse_error.101] parse error at line 1, column 8: syntax
// error ..." -> "syntax error ...": the position is said separately.
std::string Reason(const std::string& what) {
  std::string out = what;
  if (out.starts_with("[json.exception.")) {
    auto close = out.find("] ");
    if (close != std::string::npos) out.erase(0, close + 2);
  }
  if (out.starts_with("parse error")) {
    auto colon = out.find(": ");
    if (colon != std::string::npos) out.erase(0, colon + 2);
  }
  return out;
}

// JSON has no NaN or Infinity, but Python's json.dumps writes them; say what
// to write instead when the bad literal is one of them.
std::string NonFiniteHint(std::string_view text, size_t at) {
  size_t start = text.find_last_of(" \t,[:", at == 0 ? 0 : at - 1);
  start = start == std::string_view::npos ? 0 : start + 1;
  std::string token(text.substr(start, 10));
  for (const char* word : {"NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "Inf", "-Inf"}) {
    if (token.starts_with(word)) return " (JSON has no NaN or Infinity: write null)";
  }
  return "";
}

}  // namespace

// Thrown from the parser's callback: nlohmann keeps the last of two equal
// keys without a word, so '{"level": "median", "level": "recent_mean"}' would
// run as recent_mean.
struct DuplicateKey {
  std::string key;
};

Result<nlohmann::json> ParseJsonText(std::string_view text, const std::string& where) {
  std::vector<std::set<std::string>> keys;  // of each object being parsed
  auto refuse_duplicates = [&keys](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) keys.emplace_back();
    if (event == Event::object_end && !keys.empty()) keys.pop_back();
    if (event == Event::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
      throw DuplicateKey{parsed.get<std::string>()};
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), refuse_duplicates);
  } catch (const DuplicateKey& d) {
    return InvalidArgument(fmt::format("{}: invalid JSON: the key \"{}\" is given twice in one object", where, d.key));
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts from 1 and points just past the offending character.
    size_t at = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
    size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
    size_t column = line == 1 ? at + 1 : at - line_start;
    const bool one_line = text.find('\n') == std::string_view::npos;
    std::string located;
    if (!where.empty() && where[0] == '-') {
      // An option: "--pruner-options:43" read as a line number.
      located = one_line ? fmt::format("{}, column {}", where, column)
                         : fmt::format("{}, line {}, column {}", where, line, column);
    } else {
      // A file's line ("FILE:LINE") takes the column alone; a whole file LINE:COLUMN.
      located = one_line ? fmt::format("{}:{}", where, column) : fmt::format("{}:{}:{}", where, line, column);
    }
    return InvalidArgument(
        fmt::format("{}: invalid JSON: {}{}", located, Reason(e.what()), NonFiniteHint(text, at)));
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(fmt::format("{}: invalid JSON: {}", where, Reason(e.what())));
  }
}

nlohmann::json MetricValueJson(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

nlohmann::json MetricValueJson(const std::optional<double>& value) {
  return value ? MetricValueJson(*value) : nlohmann::json(nullptr);
}

std::optional<double> MetricValueFromJson(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (!j.is_string()) return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  return std::nullopt;
}

Status WriteJsonFileAtomically(const std::filesystem::path& path, const nlohmann::json& j) {
  // The pid keeps two processes writing the same file off each other's temporary.
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    if (!out.flush()) return IoError("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return IoError("cannot replace " + path.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace cairn
