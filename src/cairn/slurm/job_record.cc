#include "cairn/slurm/job_record.h"

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cairn/json_text.h"
#include "cairn/slurm/pack_script.h"

namespace cairn::slurm_internal {

Status WriteJobRecord(const std::filesystem::path& trial_dir, const JobRecord& record) {
  nlohmann::json j = {{"job_id", record.job_id}};
  if (record.pack_index) {
    j["pack_index"] = *record.pack_index;
    j["pack_size"] = record.pack_size;
  }
  return WriteJsonFileAtomically(trial_dir / kJobRecord, j);
}

std::optional<JobRecord> ReadJobRecord(const std::filesystem::path& trial_dir) {
  std::ifstream in(trial_dir / kJobRecord);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("job_id") || !j["job_id"].is_string()) return std::nullopt;
  JobRecord record;
  record.job_id = j["job_id"].get<std::string>();
  if (j.contains("pack_index") && j["pack_index"].is_number_integer()) {
    record.pack_index = j["pack_index"].get<int>();
    record.pack_size = j.value("pack_size", 1);
  }
  return record;
}

}  // namespace cairn::slurm_internal
