// The nvidia-smi fallback: GPU facts and samples from its CSV output, for
// machines with a driver but no loadable NVML (containers, odd installs).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/gpu.h"

namespace cairn::internal {

// Runs `smi` (an absolute path) and parses its GPUs; empty on any failure.
std::vector<GpuInfo> SmiDetect(const std::string& smi, double timeout_s);
// Samples GPU `id` (index or UUID); nullopt on failure.
std::optional<GpuSample> SmiSample(const std::string& smi, const std::string& id,
                                   double timeout_s);

// Parsers, exposed for tests. Lines are
// "index, name, uuid, memory.total MiB, driver_version[, compute_cap]" and
// "utilization.gpu, memory.used MiB, power.draw W".
std::vector<GpuInfo> ParseSmiGpus(std::string_view csv);
std::optional<GpuSample> ParseSmiSample(std::string_view csv);

}  // namespace cairn::internal
