#include "cairn/commons/redact_bundle.h"

#include <algorithm>

#include "cairn/capture.h"
#include "cairn/spec.h"

namespace cairn::commons {
namespace {

using json = nlohmann::json;

Result<std::string> RedactStudyFile(const std::string& text) {
  if (text.empty()) return text;
  return RewriteStudyFileValues(
      text, [](std::string_view section, std::string_view key, const std::string& value) -> std::optional<std::string> {
        if (section == "env") return RedactEnvValue(key, value);
        return RedactArgWord(key, value);
      });
}

void RedactSpecJson(json& spec) {
  if (!spec.is_object()) return;
  if (auto env = spec.find("env"); env != spec.end() && env->is_object()) {
    for (auto& [name, value] : env->items()) {
      if (value.is_string()) value = RedactEnvValue(name, value.get<std::string>());
    }
  }
  if (auto command = spec.find("command"); command != spec.end() && command->is_array()) {
    std::string previous;
    for (auto& word : *command) {
      if (!word.is_string()) continue;
      std::string original = word.get<std::string>();
      word = RedactArgWord(previous, original);
      previous = std::move(original);
    }
  }
}

Status RedactSpec(json& holder) {
  if (auto yaml = holder.find("spec_yaml"); yaml != holder.end() && yaml->is_string()) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, RedactStudyFile(yaml->get<std::string>()));
    *yaml = std::move(text);
  }
  if (auto spec = holder.find("spec_json"); spec != holder.end()) RedactSpecJson(*spec);
  return Status::Ok();
}

// Redacts holder["argv"] when it is a list of words; drops a null one.
void RedactArgvIn(json& holder) {
  auto argv = holder.find("argv");
  if (argv == holder.end()) return;
  if (argv->is_array() && std::all_of(argv->begin(), argv->end(), [](const json& w) { return w.is_string(); })) {
    *argv = RedactArgv(argv->get<std::vector<std::string>>());
  } else if (argv->is_null()) {
    holder.erase(argv);
  }
}

}  // namespace

Status RedactBundleSecrets(json& bundle) {
  json& study = bundle["study"];
  CAIRN_TRY(RedactSpec(study).WithContext("the study file"));
  if (study.contains("attrs") && study["attrs"].contains("earlier_specs") && study["attrs"]["earlier_specs"].is_array()) {
    for (json& earlier : study["attrs"]["earlier_specs"]) CAIRN_TRY(RedactSpec(earlier).WithContext("an earlier study file"));
  }
  if (bundle.contains("trials") && bundle["trials"].is_array()) {
    for (json& trial : bundle["trials"]) {
      if (!trial.contains("attrs") || !trial["attrs"].is_object()) continue;
      json& attrs = trial["attrs"];
      RedactArgvIn(attrs);
      // The captured record trail keeps its own copy of the command.
      if (attrs.contains("context") && attrs["context"].is_object()) RedactArgvIn(attrs["context"]);
    }
  }
  return Status::Ok();
}

}  // namespace cairn::commons
