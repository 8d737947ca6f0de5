// RunCommand: runs a program with an argv (never a shell), captures its
// output and kills it when it overruns a deadline.
//
// Internal to libcairn: the gpu part uses it for nvidia-smi, the capture part
// for git, dpkg-query, Python interpreters and container tools.
//
// Thread-safe: each call owns its pipes (opened close-on-exec, so concurrent
// calls never leak descriptors into each other's children).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn::internal {

struct CommandOptions {
  // Working directory of the child; empty = the caller's.
  std::string cwd;
  // Variables set (or replaced) on top of the caller's environment.
  std::map<std::string, std::string> env;
  // The child (and its process group) is killed after this many seconds.
  double timeout_s = 10.0;
  // Output beyond this many bytes per stream is read and dropped, so a
  // chatty tool cannot exhaust memory.
  size_t max_output_bytes = 64u << 20;
};

struct CommandResult {
  int exit_code = -1;      // -1 when killed by a signal
  bool timed_out = false;  // killed because timeout_s passed
  std::string out;         // stdout
  std::string err;         // stderr
  bool ok() const { return exit_code == 0 && !timed_out; }
};

// Runs argv[0] (a path, or a name looked up on `search_path`, or on $PATH when
// that is empty). Fails with kNotFound when the program cannot be found and
// kIoError when it cannot be started; a program that runs and exits non-zero
// is a successful call with exit_code != 0.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const CommandOptions& options = {});

// The absolute path of the executable `name` on `search_path` (":"-separated;
// $PATH when empty), or nullopt. A name containing '/' is returned as is
// when it is executable.
std::optional<std::string> FindProgram(const std::string& name,
                                       const std::string& search_path = "");

}  // namespace cairn::internal
