// The variables of the trial protocol (docs/trial-protocol.md), shared by
// every executor and by the record trail.
#include <filesystem>

#include "cairn/executor.h"

namespace cairn {

std::map<std::string, std::string> TrialEnvironment(const LaunchRequest& request) {
  std::map<std::string, std::string> env = request.env;
  env["CAIRN_TRIAL_ID"] = std::to_string(request.trial_id);
  env["CAIRN_TRIAL_NUMBER"] = std::to_string(request.number);
  env["CAIRN_PARAMS"] =
      ParamsToJson(request.params).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::error_code ec;
  auto dir = std::filesystem::absolute(request.trial_dir.empty() ? std::filesystem::path(".") : request.trial_dir, ec);
  env["CAIRN_TRIAL_DIR"] = (ec ? request.trial_dir : dir.lexically_normal()).string();
  std::string gpus;
  for (const std::string& id : request.gpus) gpus += (gpus.empty() ? "" : ",") + id;
  env["CUDA_VISIBLE_DEVICES"] = gpus;  // empty for a CPU trial: it must not grab a GPU by accident
  return env;
}

}  // namespace cairn
