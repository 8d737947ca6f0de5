#include "cairn/spec/scalar_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "cairn/spec.h"

namespace cairn::spec_internal {
namespace {

// Drops one leading '+', which from_chars does not accept.
std::string_view StripPlus(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
  return text;
}

std::optional<double> ParseYamlSpecial(std::string_view text) {
  std::string_view body = text;
  double sign = 1.0;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    sign = body[0] == '-' ? -1.0 : 1.0;
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return sign * std::numeric_limits<double>::infinity();
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> ParseIntText(std::string_view text) {
  text = StripPlus(text);
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseDoubleText(std::string_view text) {
  if (auto special = ParseYamlSpecial(text)) return special;
  text = StripPlus(text);
  if (text.empty()) return std::nullopt;
  // from_chars also takes "inf", "nan" and hex floats; YAML does not.
  for (char c : text) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
          c == '-' || c == '+')) {
      return std::nullopt;
    }
  }
  double value = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> ParseBoolText(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

}  // namespace cairn::spec_internal

namespace cairn {

Result<double> ParseDuration(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ms", 0.001}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}, {"d", 86400.0}};
  std::string_view number = text;
  double scale = 1.0;
  // Longest suffix first so that "ms" is not read as "m" after "...s".
  for (const auto& [unit, seconds] : kUnits) {
    if (text.size() > unit.size() && text.ends_with(unit)) {
      std::string_view head = text.substr(0, text.size() - unit.size());
      if (spec_internal::ParseDoubleText(head)) {
        number = head;
        scale = seconds;
        break;
      }
    }
  }
  auto value = spec_internal::ParseDoubleText(number);
  if (!value || !std::isfinite(*value) || *value < 0) {
    return InvalidArgument(fmt::format("'{}' is not a duration", text));
  }
  return *value * scale;
}

}  // namespace cairn
