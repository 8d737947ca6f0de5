// ExpandCommand and the template splitter it shares with the parser.
#include "cairn/spec/command_template.h"

#include <fmt/format.h>

#include "cairn/spec.h"

namespace cairn::spec_internal {

Result<std::vector<TemplatePiece>> SplitTemplate(std::string_view element) {
  std::vector<TemplatePiece> pieces;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) pieces.push_back({false, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < element.size(); ++i) {
    char c = element[i];
    bool doubled = i + 1 < element.size() && element[i + 1] == c;
    if ((c == '{' || c == '}') && doubled) {
      literal += c;
      ++i;
    } else if (c == '}') {
      return InvalidArgument(fmt::format("unmatched '}}' at character {} of \"{}\"", i + 1, element));
    } else if (c == '{') {
      size_t close = element.find_first_of("{}", i + 1);
      if (close == std::string_view::npos || element[close] == '{') {
        return InvalidArgument(fmt::format("unclosed '{{' at character {} of \"{}\"", i + 1, element));
      }
      if (close == i + 1) {
        return InvalidArgument(fmt::format("empty placeholder '{{}}' in \"{}\"", element));
      }
      flush();
      pieces.push_back({true, std::string(element.substr(i + 1, close - i - 1))});
      i = close;
    } else {
      literal += c;
    }
  }
  flush();
  return pieces;
}

bool IsLonePlaceholder(const std::vector<TemplatePiece>& pieces) {
  return pieces.size() == 1 && pieces[0].placeholder;
}

}  // namespace cairn::spec_internal

namespace cairn {
namespace {

using spec_internal::TemplatePiece;

// The value of `name`, or nullopt when neither params nor extra have it.
// Parameters win over extras, so a parameter named "seed" is its own value.
std::optional<std::string> Lookup(const std::string& name, const Params& params,
                                  const std::map<std::string, std::string>& extra) {
  if (auto it = params.find(name); it != params.end()) return ParamValueToString(it->second);
  if (auto it = extra.find(name); it != extra.end()) return it->second;
  return std::nullopt;
}

bool IsKnownName(const std::string& name, const SearchSpace* space,
                 const std::map<std::string, std::string>& extra) {
  if (extra.count(name) > 0) return true;
  if (space == nullptr) return true;  // no space: absent names are inactive
  return space->Find(name) != nullptr;
}

// A bare flag such as "--momentum": starts with '-' and has no placeholder.
bool IsBareFlag(const std::vector<TemplatePiece>& pieces) {
  return pieces.size() == 1 && !pieces[0].placeholder && pieces[0].text.starts_with("-");
}

}  // namespace

Result<std::vector<std::string>> ExpandCommand(const std::vector<std::string>& templ,
                                               const Params& params,
                                               const std::map<std::string, std::string>& extra,
                                               const SearchSpace* space) {
  std::vector<std::string> argv;
  bool previous_was_bare_flag = false;
  for (size_t index = 0; index < templ.size(); ++index) {
    auto pieces = spec_internal::SplitTemplate(templ[index]);
    if (!pieces.ok()) return pieces.status().WithContext(fmt::format("command element {}", index));
    std::string out;
    bool dropped = false;
    for (const auto& piece : *pieces) {
      if (!piece.placeholder) {
        out += piece.text;
        continue;
      }
      if (auto value = Lookup(piece.text, params, extra)) {
        out += *value;
        continue;
      }
      if (!IsKnownName(piece.text, space, extra)) {
        return InvalidArgument(fmt::format("command element {} (\"{}\"): unknown placeholder '{{{}}}'",
                                           index, templ[index], piece.text));
      }
      if (!spec_internal::IsLonePlaceholder(*pieces)) {
        return InvalidArgument(fmt::format(
            "command element {} (\"{}\"): '{{{}}}' has no value in this trial (an inactive or unknown "
            "parameter) and the element holds other text, so it cannot be dropped",
            index, templ[index], piece.text));
      }
      dropped = true;  // inactive parameter: drop it, and its flag
    }
    if (dropped) {
      if (previous_was_bare_flag) argv.pop_back();
      previous_was_bare_flag = false;
      continue;
    }
    argv.push_back(std::move(out));
    previous_was_bare_flag = IsBareFlag(*pieces);
  }
  if (argv.empty()) return InvalidArgument("the command expands to an empty argv");
  return argv;
}

}  // namespace cairn
