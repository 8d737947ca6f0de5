// MetricParser: JSON objects, key=value pairs and RE2 patterns (see header).
#include "cairn/metric_parser.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace cairn {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
bool IsSeparator(char c) { return IsSpace(c) || c == ',' || c == ';'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsKeyStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsKeyChar(char c) {
  return IsKeyStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-';
}

bool IsValidKey(std::string_view key) {
  if (key.empty() || !IsKeyStart(key.front())) return false;
  for (char c : key) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

// The step as an integer, when `value` is an integer-valued number in range.
std::optional<int64_t> AsStep(double value) {
  if (!std::isfinite(value) || value != std::trunc(value)) return std::nullopt;
  if (std::fabs(value) > 9.0e18) return std::nullopt;
  return static_cast<int64_t>(value);
}

// A JSON field's value as a metric number: numbers, and the strings JSON
// needs for what it cannot write ("nan", "inf", "-inf"). Other strings are
// labels even when they look like numbers ({"version": "1.0"}).
std::optional<double> JsonNumber(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  std::optional<double> parsed = ParseMetricNumber(value.get_ref<const std::string&>());
  if (parsed && std::isfinite(*parsed)) return std::nullopt;
  return parsed;
}

// A JSON key a metric can have: not empty, at most kMaxKeyBytes, without
// control characters (a NUL cannot be stored in PostgreSQL text, and a
// newline would break every table that shows the key).
bool IsStorableJsonKey(const std::string& key) {
  constexpr size_t kMaxKeyBytes = 256;
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  return std::none_of(key.begin(), key.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

// The length of the JSON number at the start of `text` (-?digits, a
// fraction, an exponent), 0 when none starts there.
size_t JsonNumberLength(std::string_view text) {
  size_t i = text.starts_with('-') ? 1 : 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > from;
  };
  if (!digits()) return 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return 0;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return 0;
  }
  return i;
}

// `line` with the bare NaN, Infinity and -Infinity outside strings (what
// Python's json.dumps writes for non-finite floats), and numbers too large
// for a double (1e400: valid JSON, which nlohmann refuses, so the whole
// line was lost), made the strings "nan", "inf" and "-inf" that JsonNumber
// reads; nullopt when there are none.
std::optional<std::string> QuoteNonFiniteTokens(std::string_view line) {
  static constexpr std::pair<std::string_view, std::string_view> kTokens[] = {
      {"-Infinity", "\"-inf\""}, {"Infinity", "\"inf\""}, {"NaN", "\"nan\""}};
  std::string out;
  bool in_string = false, changed = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < line.size()) out += line[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    const bool word_start = i == 0 || !IsKeyChar(line[i - 1]);
    if (const size_t n = word_start ? JsonNumberLength(line.substr(i)) : 0; n > 0) {
      const std::string_view number = line.substr(i, n);
      const std::optional<double> value = ParseMetricNumber(number);
      if (value && std::isinf(*value)) {
        out += *value > 0 ? "\"inf\"" : "\"-inf\"";
        changed = true;
      } else {
        out += number;
      }
      i += n - 1;
      continue;
    }
    for (const auto& [token, quoted] : kTokens) {
      const bool word_end = i + token.size() >= line.size() || !IsKeyChar(line[i + token.size()]);
      if (word_start && line.substr(i, token.size()) == token && word_end) {
        out += quoted;
        i += token.size() - 1;
        replaced = changed = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  if (!changed) return std::nullopt;
  return out;
}

}  // namespace

std::optional<double> ParseMetricNumber(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
    // from_chars takes no '+', and "--1" must not pass.
    if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  }
  double value = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // 1e999 overflows to inf (a value that diverged must not vanish), 1e-400
    // underflows to 0, as strtod rounds them.
    value = std::strtod(std::string(text).c_str(), nullptr);
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

Result<MetricParser> MetricParser::Create(std::string step_key,
                                          const std::vector<std::string>& patterns) {
  MetricParser parser;
  parser.step_key_ = std::move(step_key);
  for (const std::string& pattern : patterns) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(pattern, options);
    if (!re->ok()) {
      return InvalidArgument("metric pattern '" + pattern + "' does not compile: " + re->error());
    }
    if (re->NamedCapturingGroups().empty()) {
      return InvalidArgument("metric pattern '" + pattern +
                             "' has no named group such as (?P<loss>\\S+)");
    }
    parser.patterns_.push_back(std::move(re));
  }
  return parser;
}

std::optional<ParsedReport> MetricParser::Parse(std::string_view line) const {
  if (line.size() > kMaxLineBytes) return std::nullopt;
  line = Trim(line);
  if (line.empty()) return std::nullopt;
  std::optional<ParsedReport> report;
  // A line that is a JSON object is judged as JSON only, even if it has no metric.
  if (ParseJson(line, &report)) return report;
  if (auto report = ParseKeyValues(line)) return report;
  return ParsePatterns(line);
}

bool MetricParser::Add(const std::string& name, double value, ParsedReport* report) const {
  if (!step_key_.empty() && name == step_key_) {
    report->step = AsStep(value);
    return report->step.has_value();
  }
  report->metrics[name] = value;
  return true;
}

bool MetricParser::ParseJson(std::string_view line, std::optional<ParsedReport>* out) const {
  if (line.front() != '{' || line.back() != '}') return false;
  nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    if (std::optional<std::string> quoted = QuoteNonFiniteTokens(line)) {
      parsed = nlohmann::json::parse(*quoted, nullptr, /*allow_exceptions=*/false);
    }
  }
  if (!parsed.is_object()) return false;
  ParsedReport report;
  for (const auto& [name, value] : parsed.items()) {
    if (!IsStorableJsonKey(name)) continue;  // "" or "a\u0000b": no metric a store can name
    std::optional<double> number = JsonNumber(value);
    if (!number) {
      if (name == step_key_) return true;  // a step that is not a number: no report
      continue;
    }
    if (!Add(name, *number, &report)) return true;
  }
  if (!report.metrics.empty()) *out = std::move(report);
  return true;
}

std::optional<ParsedReport> MetricParser::ParseKeyValues(std::string_view line) const {
  ParsedReport report;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSeparator(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSeparator(line[i])) ++i;
    std::string_view token = line.substr(start, i - start);
    size_t eq = token.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = token.substr(0, eq);
    if (!IsValidKey(key)) continue;
    std::optional<double> value = ParseMetricNumber(token.substr(eq + 1));
    if (!value) {
      if (key == step_key_) return std::nullopt;
      continue;
    }
    if (!Add(std::string(key), *value, &report)) return std::nullopt;
  }
  if (report.metrics.empty()) return std::nullopt;
  return report;
}

std::optional<ParsedReport> MetricParser::ParsePatterns(std::string_view line) const {
  re2::StringPiece text(line.data(), line.size());
  for (const auto& re : patterns_) {
    int groups = re->NumberOfCapturingGroups();
    std::vector<re2::StringPiece> match(static_cast<size_t>(groups) + 1);
    if (!re->Match(text, 0, text.size(), RE2::UNANCHORED, match.data(), groups + 1)) continue;
    ParsedReport report;
    bool bad_step = false;
    for (const auto& [name, index] : re->NamedCapturingGroups()) {
      const re2::StringPiece& group = match[static_cast<size_t>(index)];
      if (group.data() == nullptr) continue;  // an optional group that did not take part
      std::optional<double> value = ParseMetricNumber(std::string_view(group.data(), group.size()));
      if (!value) {
        bad_step = bad_step || name == step_key_;
        continue;
      }
      if (!Add(name, *value, &report)) bad_step = true;
    }
    // The first matching pattern decides, even when it yields no report.
    if (bad_step || report.metrics.empty()) return std::nullopt;
    return report;
  }
  return std::nullopt;
}

}  // namespace cairn
