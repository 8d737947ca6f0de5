// A scripted Slurm for executor tests: answers sbatch, squeue, sacct,
// scontrol and scancel from a table of jobs the test edits.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cairn/slurm/command_runner.h"

namespace cairn::slurm_internal {

class FakeSlurm final : public CommandRunner {
 public:
  struct Job {
    std::string state = "PENDING";
    std::string exit = "0:0";
    std::string node;
    int restarts = 0;
    bool purged = false;  // forgotten by the controller
  };

  std::map<std::string, Job> jobs;
  std::vector<std::vector<std::string>> calls;
  bool accounting = false;     // sacct works
  std::string sbatch_error;    // non-empty: sbatch fails with this
  int next_id = 100;
  // Also records calls here when set (outlives the fake, which the executor owns).
  std::vector<std::vector<std::string>>* journal = nullptr;

  Result<CommandOutput> Run(const std::vector<std::string>& argv) override;
  // Calls whose argv[0] is `program`.
  std::vector<std::vector<std::string>> CallsTo(const std::string& program) const;
};

}  // namespace cairn::slurm_internal
