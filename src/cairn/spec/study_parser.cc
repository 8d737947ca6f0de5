// ParseStudyFile / ParseStudyText: the top level of a study file.
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cairn/spec.h"
#include "cairn/spec/command_template.h"
#include "cairn/spec/sections.h"
#include "cairn/spec/space_reader.h"
#include "cairn/spec/yaml_context.h"
#include "cairn/utf8.h"

namespace cairn {
namespace {

using spec_internal::Field;
using spec_internal::MapFields;
using spec_internal::YamlContext;

const std::vector<std::string_view> kTopKeys = {
    "name",   "command", "workdir", "env",   "space",   "objective", "metrics", "budget",
    "resources", "sampler", "seed", "pruner", "datasets", "executor"};

}  // namespace

bool IsValidStudyName(std::string_view name) {
  // The name is a folder under .cairn/trials: never "." or "..".
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

namespace {

bool IsValidEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

Status ReadName(const YamlContext& ctx, const MapFields& top, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(const Field* f, ctx.Require(top, "name", "'name: <study name>'"));
  CAIRN_ASSIGN_OR_RETURN(spec.name, ctx.String(*f));
  if (!IsValidStudyName(spec.name)) {
    return ctx.Error(f->ValueMark(), fmt::format("study name '{}' has characters outside [A-Za-z0-9_.-] or is . or ..", spec.name),
                     "a name of letters, digits, '_', '.' and '-'");
  }
  return Status::Ok();
}

// Checks one command element's placeholders against the space and extras;
// `program` for command[0], which is never left out.
Status CheckCommandElement(const YamlContext& ctx, const YAML::Node& item, const SearchSpace& space, bool program) {
  auto pieces = spec_internal::SplitTemplate(item.Scalar());
  if (!pieces.ok()) {
    return ctx.Error(item.Mark(), "command element: " + pieces.status().message(),
                     "{name} placeholders, with {{ and }} for literal braces");
  }
  const auto& extras = CommandExtraNames();
  for (const auto& piece : *pieces) {
    if (!piece.placeholder) continue;
    const ParamSpec* param = space.Find(piece.text);
    bool extra = std::find(extras.begin(), extras.end(), piece.text) != extras.end();
    if (param == nullptr && !extra) {
      std::vector<std::string_view> names(extras.begin(), extras.end());
      // A parameter may share an extra's name ("seed"): list it once.
      for (const auto& p : space.params) {
        if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
      }
      std::string wrong = fmt::format("placeholder '{{{}}}' names no parameter", piece.text);
      std::string hint = spec_internal::ClosestKey(piece.text, names);
      if (!hint.empty()) wrong += fmt::format(" (did you mean '{{{}}}'?)", hint);
      return ctx.Error(item.Mark(), wrong, "a parameter of 'space' or one of " + spec_internal::JoinChoices(names));
    }
    // The program must always be there: left out with an inactive
    // parameter, the next argument would be run as the program.
    if (param != nullptr && param->condition && program) {
      return ctx.Error(item.Mark(),
                       fmt::format("the program is conditional parameter '{{{}}}', which is left out when inactive",
                                   piece.text),
                       "a program that every trial has: a path, or a parameter without 'when'");
    }
    // An inactive parameter can only be dropped when it stands alone.
    if (param != nullptr && param->condition && !spec_internal::IsLonePlaceholder(*pieces)) {
      return ctx.Error(item.Mark(),
                       fmt::format("conditional parameter '{{{}}}' shares its element with other text, "
                                   "so it cannot be left out when inactive", piece.text),
                       fmt::format("'{{{}}}' alone in its own element, e.g. [\"--{}\", \"{{{}}}\"]",
                                   piece.text, piece.text, piece.text));
    }
  }
  return Status::Ok();
}

Status ReadCommand(const YamlContext& ctx, const MapFields& top, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(const Field* f, ctx.Require(top, "command", "'command: [\"program\", \"arg\", ...]'"));
  if (f->value.IsScalar()) {
    return ctx.Error(f->ValueMark(), "'command' is a string: argv list expected, never a shell string",
                     "a list such as [\"/usr/bin/python3\", \"train.py\", \"--lr\", \"{lr}\"]");
  }
  CAIRN_ASSIGN_OR_RETURN(spec.command, ctx.StringList(*f));
  if (spec.command.empty() || spec.command[0].empty()) {
    return ctx.Error(f->ValueMark(), "'command' has no program", "a non-empty list whose first element is the program");
  }
  return Status::Ok();
}

// After the space is read: every placeholder must name something.
Status CheckCommandPlaceholders(const YamlContext& ctx, const MapFields& top, const StudySpec& spec) {
  bool program = true;
  for (const auto& item : top.Find("command")->value) {
    CAIRN_TRY(CheckCommandElement(ctx, item, spec.space, program));
    program = false;
  }
  return Status::Ok();
}

// Paths are recorded as JSON text: one that is not UTF-8 would be stored
// altered (U+FFFD) and could not be found again, by `reproduce` for one
// (IsUtf8).

std::string Shown(const std::filesystem::path& path) {
  return nlohmann::json(path.string()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr std::string_view kUtf8Expected = "a path of UTF-8 text (Cairn records paths as text); rename it";

Status ReadWorkdir(const YamlContext& ctx, const MapFields& top, const std::filesystem::path& base_dir,
                   StudySpec& spec) {
  std::filesystem::path dir = base_dir;
  if (const Field* f = top.Find("workdir")) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ctx.String(*f));
    if (text.empty()) return ctx.Error(f->ValueMark(), "'workdir' is empty", "a folder, e.g. '.'");
    dir = base_dir / text;  // an absolute `text` replaces base_dir
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
  if (ec) return InvalidArgument(fmt::format("{}: cannot make '{}' absolute: {}", ctx.source(), dir.string(), ec.message()));
  spec.workdir = absolute.lexically_normal();
  if (spec.workdir.has_filename() == false && spec.workdir != spec.workdir.root_path()) {
    spec.workdir = spec.workdir.parent_path();  // "a/b/" -> "a/b"
  }
  if (!IsUtf8(spec.workdir.string())) {
    std::string what = fmt::format("the work folder {} is not UTF-8 text", Shown(spec.workdir));
    if (const Field* f = top.Find("workdir")) return ctx.Error(f->ValueMark(), what, kUtf8Expected);
    return InvalidArgument(fmt::format("{}: {} (it is the study file's folder); expected {}", ctx.source(), what,
                                       kUtf8Expected));
  }
  return Status::Ok();
}

Status ReadEnv(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(field, "'env'", {}, /*open=*/true));
  for (const auto& f : map.fields()) {
    if (!IsValidEnvName(f.key)) {
      return ctx.Error(f.key_node.Mark(), fmt::format("'{}' is not an environment variable name", f.key),
                       "letters, digits and '_', not starting with a digit");
    }
    CAIRN_ASSIGN_OR_RETURN(spec.env[f.key], ctx.String(f));
  }
  return Status::Ok();
}

Status ReadDatasets(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> paths, ctx.StringList(field));
  for (size_t i = 0; i < paths.size(); ++i) {
    if (paths[i].empty()) return ctx.Error(field.value[i].Mark(), "a path in 'datasets' is empty", "a file or folder path");
    // "data/" and "data" are one folder: without the trailing separator
    // (lexically_normal keeps it), so queries by name, the crate's names
    // and diffs between studies see the same path.
    std::filesystem::path path = (spec.workdir / paths[i]).lexically_normal();
    if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();
    spec.datasets.push_back(std::move(path));
    if (!IsUtf8(paths[i])) {
      return ctx.Error(field.value[i].Mark(), fmt::format("the dataset path {} is not UTF-8 text", Shown(paths[i])),
                       kUtf8Expected);
    }
  }
  return Status::Ok();
}

// The sections in a fixed order, close to a file's usual order; the
// command's placeholders are checked once the space is known, datasets are
// read after workdir (they are relative to it), and seed before sampler
// (whose own seed wins).
Status ReadSections(const YamlContext& ctx, const MapFields& top, const std::filesystem::path& base_dir,
                    StudySpec& spec) {
  using namespace spec_internal;
  CAIRN_TRY(ReadName(ctx, top, spec));
  CAIRN_TRY(ReadCommand(ctx, top, spec));
  CAIRN_TRY(ReadWorkdir(ctx, top, base_dir, spec));
  if (const Field* f = top.Find("env")) CAIRN_TRY(ReadEnv(ctx, *f, spec));
  CAIRN_ASSIGN_OR_RETURN(const Field* space, ctx.Require(top, "space", "'space:' with at least one parameter"));
  CAIRN_ASSIGN_OR_RETURN(spec.space, ReadSpace(ctx, *space));
  CAIRN_TRY(CheckCommandPlaceholders(ctx, top, spec));
  CAIRN_ASSIGN_OR_RETURN(const Field* objective, ctx.Require(top, "objective", "'objective: {metric: <name>}'"));
  CAIRN_TRY(ReadObjective(ctx, *objective, spec));
  if (const Field* f = top.Find("metrics")) CAIRN_TRY(ReadMetrics(ctx, *f, spec));
  if (const Field* f = top.Find("budget")) CAIRN_TRY(ReadBudget(ctx, *f, spec));
  if (const Field* f = top.Find("resources")) CAIRN_TRY(ReadResources(ctx, *f, spec));
  if (const Field* f = top.Find("seed")) {
    CAIRN_ASSIGN_OR_RETURN(spec.seed, ReadSeed(ctx, *f));
  }
  if (const Field* f = top.Find("sampler")) CAIRN_TRY(ReadSampler(ctx, *f, spec));
  if (const Field* f = top.Find("pruner")) CAIRN_TRY(ReadPruner(ctx, *f, spec));
  if (const Field* f = top.Find("datasets")) CAIRN_TRY(ReadDatasets(ctx, *f, spec));
  if (const Field* f = top.Find("executor")) CAIRN_TRY(ReadExecutor(ctx, *f, spec));
  CAIRN_TRY(CheckPluginOptions(ctx, top, spec));
  return Status::Ok();
}

// YAML indents with spaces only, and yaml-cpp's complaint about a tab
// ("illegal map value") never names it: say which line starts with one.
std::string TabHint(const std::string& text) {
  int line = 1;
  for (size_t at = 0; at < text.size(); ++line) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const size_t indent_end = text.find_first_not_of(" \t", at);
    if (indent_end != std::string::npos && indent_end < end && text.find('\t', at) < indent_end) {
      return fmt::format(" (line {} is indented with a tab: YAML indents with spaces)", line);
    }
    at = end + 1;
  }
  return "";
}

// Loads the one YAML document of `text`; syntax errors carry yaml-cpp's mark.
Result<YAML::Node> LoadDocument(const YamlContext& ctx, const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    return ctx.Error(e.mark, e.msg + TabHint(text), "valid YAML");
  } catch (const YAML::Exception& e) {
    return ctx.Error(e.mark, e.msg, "valid YAML");
  }
  if (docs.empty() || docs[0].IsNull()) {
    return ctx.Error(YAML::Mark(), "the study file is empty", "a map with at least name, command, space and objective");
  }
  if (docs.size() > 1) {
    return ctx.Error(docs[1].Mark(), "a second YAML document ('---') follows the study", "one document per study file");
  }
  return docs[0];
}

// The study file must be UTF-8 text without NUL bytes: YAML would cut a
// value at a NUL (the program got "x" where the record says "x\0y"), and
// text that is not UTF-8 reaches argv as one thing and the record (JSON) as
// another, or not at all.
Status CheckText(const YamlContext& ctx, const std::string& text) {
  YAML::Mark mark;
  mark.line = 0;
  mark.column = 0;
  for (size_t at = 0; at < text.size();) {
    if (text[at] == '\0') return ctx.Error(mark, "a NUL byte", "text without NUL bytes");
    const size_t length = Utf8CharLength(text, at);
    if (length == 0) {
      return ctx.Error(mark, fmt::format("byte 0x{:02X}, which is not UTF-8", static_cast<unsigned char>(text[at])),
                       "a UTF-8 text file");
    }
    if (text[at] == '\n') {
      ++mark.line;
      mark.column = 0;
    } else {
      ++mark.column;
    }
    at += length;
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& CommandExtraNames() {
  static const std::vector<std::string> kNames = {"trial_id", "trial_dir", "seed", "study", "trial_number"};
  return kNames;
}

Result<StudySpec> ParseStudyText(const std::string& text, const std::string& source_name,
                                 const std::filesystem::path& base_dir) {
  YamlContext ctx(source_name);
  try {
    CAIRN_TRY(CheckText(ctx, text));
    CAIRN_ASSIGN_OR_RETURN(YAML::Node root, LoadDocument(ctx, text));
    CAIRN_ASSIGN_OR_RETURN(MapFields top, ctx.Map(root, root.Mark(), "the study file", kTopKeys));
    StudySpec spec;
    spec.source_text = text;
    CAIRN_TRY(ReadSections(ctx, top, base_dir, spec));
    return spec;
  } catch (const std::exception& e) {
    // yaml-cpp should not throw once loaded; never let it escape.
    return Internal(fmt::format("{}: unexpected error while reading the study: {}", source_name, e.what()));
  }
}

Result<StudySpec> ParseStudyFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("{}: cannot open the study file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError(fmt::format("{}: cannot read the study file", path.string()));
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  CAIRN_ASSIGN_OR_RETURN(StudySpec spec, ParseStudyText(text.str(), path.string(), absolute.parent_path()));
  spec.source = absolute.lexically_normal();
  return spec;
}

}  // namespace cairn
