// trial_dir/slurm_job.json: which Slurm job runs a trial (and, packed,
// which slot of it), written as soon as sbatch answers. The coordinator
// keeps Describe() in the store, but a packed trial is submitted after its
// Launch returns: a coordinator that dies in between still leaves this
// file for the next one to re-attach from.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cairn/status.h"

namespace cairn::slurm_internal {

struct JobRecord {
  std::string job_id;
  std::optional<int> pack_index;  // packed trials only
  int pack_size = 1;
};

// Writes the record (atomically: temp file + rename).
Status WriteJobRecord(const std::filesystem::path& trial_dir, const JobRecord& record);
// nullopt when there is none or it does not parse.
std::optional<JobRecord> ReadJobRecord(const std::filesystem::path& trial_dir);

}  // namespace cairn::slurm_internal
