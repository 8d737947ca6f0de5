// Starting one child process the way the trial protocol wants it: fork +
// execve, own process group, no shell, exec errors reported through a
// close-on-exec pipe.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn::run_internal {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0]: a path (has '/') or a name looked up on PATH
  std::vector<std::string> env;   // "KEY=VALUE", the child's whole environment
  std::string workdir;            // "" keeps the parent's
  int stdout_fd = -1;             // write ends the child gets as fd 1 and 2
  int stderr_fd = -1;
};

struct SpawnOutcome {
  pid_t pid = -1;     // the child, leader of its own process group; -1 if none runs
  std::string error;  // non-empty: nothing runs, e.g. "cannot execute x: No such file or directory"
};

// Starts the child. A non-ok Status means a resource ran out before fork
// (pipes, fork itself). When the program cannot be found or the child fails
// before exec, the outcome carries the error and no process is left behind.
Result<SpawnOutcome> Spawn(const SpawnSpec& spec);

// "KEY=VALUE" strings: this process's environment with `overrides` applied.
std::vector<std::string> MergeEnvironment(const std::map<std::string, std::string>& overrides);

}  // namespace cairn::run_internal
