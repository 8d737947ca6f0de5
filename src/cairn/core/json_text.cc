// ParseJsonText: nlohmann's parser with errors in a person's terms.
#include "cairn/json_text.h"

#include <algorithm>

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

}  // namespace

Result<nlohmann::json> ParseJsonText(std::string_view text, const std::string& where) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts from 1 and points just past the offending character.
    size_t at = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
    size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
    size_t column = line == 1 ? at + 1 : at - line_start;
    // One line of text (a curve file's line, an option): the column alone.
    std::string position = text.find('\n') == std::string_view::npos ? fmt::format("{}", column)
                                                                       : fmt::format("{}:{}", line, column);
    return InvalidArgument(fmt::format("{}:{}: invalid JSON: {}", where, position, Reason(e.what())));
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(fmt::format("{}: invalid JSON: {}", where, Reason(e.what())));
  }
}

}  // namespace cairn
