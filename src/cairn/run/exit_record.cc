// The exit record a local executor leaves beside a trial's logs.
#include <algorithm>
#include <fstream>

#include "cairn/executor.h"
#include "cairn/json_text.h"

namespace cairn {

namespace {

std::optional<ExitKind> ExitKindFromName(std::string_view name) {
  for (ExitKind kind : {ExitKind::kExited, ExitKind::kSignaled, ExitKind::kStopped, ExitKind::kTimedOut,
                        ExitKind::kLaunchFailed, ExitKind::kLost}) {
    if (ExitKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace

Status WriteExitRecord(const std::filesystem::path& trial_dir, const ExitEvent& exit) {
  nlohmann::json j = {{"trial_id", exit.trial_id},
                      {"kind", ExitKindName(exit.kind)},
                      {"message", exit.message},
                      {"time", exit.time}};
  if (exit.exit_code) j["exit_code"] = *exit.exit_code;
  if (exit.signal) j["signal"] = *exit.signal;
  return WriteJsonFileAtomically(trial_dir / kExitRecordFile, j);
}

std::optional<ExitEvent> ReadExitRecord(const std::filesystem::path& trial_dir, int64_t trial_id) {
  std::ifstream in(trial_dir / kExitRecordFile, std::ios::binary);
  if (!in) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto id = j.find("trial_id");
  auto kind_name = j.find("kind");
  auto time = j.find("time");
  if (id == j.end() || !id->is_number_integer() || id->get<int64_t>() != trial_id) return std::nullopt;
  if (kind_name == j.end() || !kind_name->is_string() || time == j.end() || !time->is_number()) return std::nullopt;
  auto kind = ExitKindFromName(kind_name->get<std::string>());
  if (!kind) return std::nullopt;
  ExitEvent exit{.trial_id = trial_id, .kind = *kind, .time = time->get<double>()};
  if (auto m = j.find("message"); m != j.end() && m->is_string()) {
    // A file in the trial's own folder: its program could have written it.
    // What Cairn writes has no control characters; a terminal must not get them.
    exit.message = m->get<std::string>();
    std::replace_if(exit.message.begin(), exit.message.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
  }
  if (auto c = j.find("exit_code"); c != j.end() && c->is_number_integer()) exit.exit_code = c->get<int>();
  if (auto s = j.find("signal"); s != j.end() && s->is_number_integer()) exit.signal = s->get<int>();
  return exit;
}

}  // namespace cairn
