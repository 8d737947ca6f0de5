// RewriteStudyFileValues: edits chosen scalars of a study file's text in
// place (env values, command words), keeping everything else byte for byte.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cairn/spec.h"

namespace cairn {
namespace {

struct Edit {
  size_t begin = 0, end = 0;
  std::string text;
};

// One past the last character of a block scalar ("|" or ">") whose
// indicator is at `begin`, under a key at column `key_column`: its lines are
// those indented deeper than the key, and blank ones (the last newline stays).
size_t BlockScalarEnd(const std::string& text, size_t begin, int key_column) {
  size_t end = text.find('\n', begin);
  if (end == std::string::npos) return text.size();
  for (size_t line = end + 1; line < text.size();) {
    size_t next = text.find('\n', line);
    if (next == std::string::npos) next = text.size();
    size_t indent = text.find_first_not_of(' ', line);
    const bool blank = indent >= next || text[indent] == '\r';
    if (!blank && static_cast<int>(indent - line) <= key_column) break;
    if (!blank) end = next;
    line = next + 1;
  }
  return end;
}

// One past the last character of the scalar that starts at `begin`; `flow`
// when it sits inside [...] or {...}; `key_column` is its key's column (for
// block scalars). Nullopt for what this cannot bound (anchors, aliases, tags).
std::optional<size_t> ScalarEnd(const std::string& text, size_t begin, bool flow, int key_column) {
  if (begin >= text.size()) return std::nullopt;
  const char first = text[begin];
  if ((first == '|' || first == '>') && !flow && key_column >= 0) return BlockScalarEnd(text, begin, key_column);
  if (first == '"') {
    for (size_t i = begin + 1; i < text.size(); ++i) {
      if (text[i] == '\\') ++i;
      else if (text[i] == '"') return i + 1;
    }
    return std::nullopt;
  }
  if (first == '\'') {
    for (size_t i = begin + 1; i < text.size(); ++i) {
      if (text[i] != '\'') continue;
      if (i + 1 < text.size() && text[i + 1] == '\'') ++i;  // '' is a quote inside
      else return i + 1;
    }
    return std::nullopt;
  }
  if (first == '|' || first == '>' || first == '&' || first == '*' || first == '!') return std::nullopt;
  size_t end = begin;
  while (end < text.size() && text[end] != '\n' && text[end] != '\r') {
    if (flow && (text[end] == ',' || text[end] == ']' || text[end] == '}')) break;
    if (text[end] == '#' && end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) break;
    ++end;
  }
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return end;
}

// `key_column`: the column of the map key the value belongs to, -1 for a
// list item (whose block scalars are not bounded here).
Status AddEdit(const std::string& text, const YAML::Node& node, bool flow, int key_column, std::string replacement,
               std::vector<Edit>* edits) {
  const size_t begin = static_cast<size_t>(node.Mark().pos);
  auto end = ScalarEnd(text, begin, flow, key_column);
  if (!end) {
    return InvalidArgument(fmt::format("line {}: a value written in a form that cannot be edited in place",
                                       node.Mark().line + 1));
  }
  // A JSON string is a YAML double-quoted scalar.
  edits->push_back({begin, *end, nlohmann::json(replacement).dump()});
  return Status::Ok();
}

}  // namespace

Result<std::string> RewriteStudyFileValues(const std::string& text, const StudyFileRewrite& rewrite) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("not a study file: ") + e.what());
  }
  if (!root.IsMap()) return text;
  std::vector<Edit> edits;
  if (YAML::Node env = root["env"]; env && env.IsMap()) {
    const bool flow = env.Style() == YAML::EmitterStyle::Flow;
    for (const auto& entry : env) {
      if (!entry.second.IsScalar()) continue;
      auto redone = rewrite("env", entry.first.Scalar(), entry.second.Scalar());
      if (redone && *redone != entry.second.Scalar()) {
        CAIRN_TRY(AddEdit(text, entry.second, flow, entry.first.Mark().column, *redone, &edits));
      }
    }
  }
  if (YAML::Node command = root["command"]; command && command.IsSequence()) {
    const bool flow = command.Style() == YAML::EmitterStyle::Flow;
    std::string previous;
    for (const auto& word : command) {
      if (!word.IsScalar()) continue;
      auto redone = rewrite("command", previous, word.Scalar());
      if (redone && *redone != word.Scalar()) CAIRN_TRY(AddEdit(text, word, flow, -1, *redone, &edits));
      previous = word.Scalar();
    }
  }
  // From the end, so earlier positions stay true.
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string out = text;
  for (const Edit& e : edits) out.replace(e.begin, e.end - e.begin, e.text);
  return out;
}

}  // namespace cairn
