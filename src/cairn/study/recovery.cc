#include "cairn/study/recovery.h"

#include <algorithm>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>

#include "cairn/metric_parser.h"

namespace cairn::study_internal {
namespace {

struct Owner {
  std::string host;
  int pid = 0;
};

std::optional<Owner> ParseOwner(const std::string& owner) {
  auto first = owner.find(':');
  auto second = owner.find(':', first == std::string::npos ? first : first + 1);
  if (first == std::string::npos || second == std::string::npos) return std::nullopt;
  try {
    return Owner{owner.substr(0, first), std::stoi(owner.substr(first + 1, second - first - 1))};
  } catch (...) {
    return std::nullopt;
  }
}

std::string HostName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

bool ProcessExists(int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

bool OwnerIsGone(const TrialRecord& trial, double now_wall, double heard_since) {
  auto owner = ParseOwner(trial.owner);
  if (owner && owner->host == HostName()) return !ProcessExists(owner->pid);
  double last = trial.heartbeat_at.value_or(trial.started_at.value_or(trial.created_at));
  return now_wall - std::max(last, heard_since) > kHeartbeatTimeoutS;
}

void KillOrphan(const TrialRecord& trial) {
  auto owner = ParseOwner(trial.owner);
  if (!owner || owner->host != HostName()) return;
  int pid = trial.attrs.value("pid", 0);
  // The pid may long since name another process (a reboot, or just time):
  // only one whose environment names this trial is it.
  if (pid > 1 && IsTrialProcess(pid, trial.id)) kill(-pid, SIGKILL);  // its whole process group
}

bool IsTrialProcess(int pid, int64_t trial_id) {
  std::ifstream environ("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!environ) return false;  // gone, or not ours to read: not provably the trial
  const std::string wanted = "CAIRN_TRIAL_ID=" + std::to_string(trial_id);
  std::string entry;
  while (std::getline(environ, entry, '\0')) {
    if (entry == wanted) return true;
  }
  return false;
}

Result<int64_t> ReingestTrialLog(Store& store, const StudySpec& spec, const TrialRecord& trial) {
  std::string dir = trial.attrs.value("trial_dir", std::string());
  if (dir.empty()) return int64_t{0};
  std::ifstream log(std::filesystem::path(dir) / "stdout.log");
  if (!log) return int64_t{0};
  std::vector<std::string> patterns;
  for (const auto& p : spec.patterns) patterns.push_back(p.regex);
  CAIRN_ASSIGN_OR_RETURN(MetricParser parser, MetricParser::Create(spec.step_key, patterns));

  CAIRN_ASSIGN_OR_RETURN(auto stored, store.ReadMetrics({trial.id, std::nullopt}));
  std::set<std::pair<std::string, int64_t>> have;
  for (const auto& p : stored) have.insert({p.key, p.step});

  double time = trial.heartbeat_at.value_or(trial.created_at);
  std::vector<MetricPoint> missing;
  std::map<std::string, int64_t> count;  // reports without a step count per key
  std::string line;
  while (std::getline(log, line)) {
    auto report = parser.Parse(line);
    if (!report) continue;
    for (const auto& [key, value] : report->metrics) {
      int64_t step = report->step.value_or(++count[key]);
      if (have.insert({key, step}).second) missing.push_back({trial.id, key, step, value, time});
    }
  }
  if (!missing.empty()) CAIRN_TRY(store.AppendMetrics(missing));
  return static_cast<int64_t>(missing.size());
}

}  // namespace cairn::study_internal
