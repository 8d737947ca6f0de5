// Reading a study's captured context and blobs back from records.
#include "cairn/store.h"

#include <algorithm>

namespace cairn {

nlohmann::json StudyContextOf(const StudyRecord& study) {
  for (const nlohmann::json* j : {&study.attrs, &study.spec_json}) {
    if (j->is_object() && j->contains("context") && (*j)["context"].is_object()) return (*j)["context"];
  }
  return nullptr;
}

nlohmann::json BlobOrNull(Store& store, const nlohmann::json& hash) {
  if (!hash.is_string()) return nullptr;
  auto body = store.GetBlob(hash.get<std::string>());
  return body.ok() ? *body : nlohmann::json(nullptr);
}

std::optional<int64_t> ValueStepOf(const nlohmann::json& attrs) {
  if (!attrs.is_object()) return std::nullopt;
  auto it = attrs.find("value_step");
  if (it == attrs.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::optional<int64_t> LastCountedStep(const nlohmann::json& attrs, std::optional<int64_t> max_steps) {
  std::optional<int64_t> value_step = ValueStepOf(attrs);
  if (value_step && max_steps) return std::min(*value_step, *max_steps);
  return value_step ? value_step : max_steps;
}

}  // namespace cairn
