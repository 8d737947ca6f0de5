// Reading a study's captured context and blobs back from records.
#include "cairn/store.h"

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

}  // namespace cairn
