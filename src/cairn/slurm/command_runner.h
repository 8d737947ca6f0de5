// Running the Slurm client programs (sbatch, squeue, scontrol, sacct,
// scancel). Behind an interface so that tests can play a scripted Slurm.
#pragma once

#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn::slurm_internal {

struct CommandOutput {
  int exit_code = 0;   // 128 + signal when the program was killed
  std::string out;     // stdout
  std::string err;     // stderr
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv (argv[0] looked up on PATH, no shell) and waits for it. A
  // non-ok Status means it could not be run at all (not found, no fork);
  // a program that ran and failed is an ok result with exit_code != 0.
  virtual Result<CommandOutput> Run(const std::vector<std::string>& argv) = 0;
};

// The real one: posix_spawnp with stdin from /dev/null, killed after
// timeout_s (a hung controller must not hang the coordinator forever).
class ProcessRunner final : public CommandRunner {
 public:
  explicit ProcessRunner(double timeout_s = 60.0) : timeout_s_(timeout_s) {}
  Result<CommandOutput> Run(const std::vector<std::string>& argv) override;

 private:
  double timeout_s_;
};

// "sbatch --parsable --job-name=x ..." for messages (words with spaces quoted).
std::string CommandText(const std::vector<std::string>& argv);

}  // namespace cairn::slurm_internal
