// Finding a trial's processes by the environment Cairn gave it: a
// descendant that left the trial's process group (setsid, a daemon) is not
// reached by killing the group, but it still carries CAIRN_TRIAL_ID and
// CAIRN_TRIAL_DIR unless it cleared its environment.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace cairn::run_internal {

// Whether /proc/PID/environ holds every one of `entries` ("NAME=value").
// False when the process is gone or not ours to read.
bool EnvironmentHas(pid_t pid, const std::vector<std::string>& entries);

// The entries of a trial's environment (TrialEnvironment) that mark its
// processes: CAIRN_TRIAL_ID and CAIRN_TRIAL_DIR (both: trial ids of two
// stores can be equal, their trial folders cannot).
std::vector<std::string> TrialMarks(const std::map<std::string, std::string>& trial_env);

// The processes other than this one whose environment holds every mark.
std::vector<pid_t> TrialProcesses(const std::vector<std::string>& marks);

// SIGKILLs TrialProcesses(marks); returns how many.
int KillTrialProcesses(const std::vector<std::string>& marks);

}  // namespace cairn::run_internal
