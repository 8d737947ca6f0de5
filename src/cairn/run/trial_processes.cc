#include "cairn/run/trial_processes.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <string_view>

namespace cairn::run_internal {

bool EnvironmentHas(pid_t pid, const std::vector<std::string>& entries) {
  std::ifstream environ("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!environ) return false;
  std::vector<bool> found(entries.size(), false);
  std::string entry;
  while (std::getline(environ, entry, '\0')) {
    for (size_t i = 0; i < entries.size(); ++i) found[i] = found[i] || entry == entries[i];
  }
  return std::all_of(found.begin(), found.end(), [](bool f) { return f; });
}

std::vector<std::string> TrialMarks(const std::map<std::string, std::string>& trial_env) {
  std::vector<std::string> marks;
  for (const char* name : {"CAIRN_TRIAL_ID", "CAIRN_TRIAL_DIR"}) {
    if (auto it = trial_env.find(name); it != trial_env.end()) marks.push_back(it->first + "=" + it->second);
  }
  return marks;
}

std::vector<pid_t> TrialProcesses(const std::vector<std::string>& marks) {
  std::vector<pid_t> out;
  if (marks.empty()) return out;  // would match every process
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    const pid_t pid = static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10));
    if (pid == getpid()) continue;
    if (EnvironmentHas(pid, marks)) out.push_back(pid);
  }
  return out;
}

int KillTrialProcesses(const std::vector<std::string>& marks) {
  int killed = 0;
  for (pid_t pid : TrialProcesses(marks)) killed += kill(pid, SIGKILL) == 0;
  return killed;
}

}  // namespace cairn::run_internal
