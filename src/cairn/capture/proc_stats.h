// Process statistics from /proc, grouped by process group: what the
// utilization sampler needs to sum a trial's CPU and memory.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace cairn::internal {

struct ProcStat {
  int pid = 0;
  int pgrp = 0;
  uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks
  uint64_t rss_bytes = 0;
};

// Parses one /proc/<pid>/stat line; false when it is malformed.
bool ParseProcStat(const std::string& line, long page_size, ProcStat& out);

// The processes under `proc_root` whose process group is one of `pgrps`,
// by pid. Processes that vanish while being read are skipped.
std::map<int, ProcStat> ScanProcessGroups(const std::string& proc_root, const std::set<int>& pgrps);

}  // namespace cairn::internal
