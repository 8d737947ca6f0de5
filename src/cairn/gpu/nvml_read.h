// Reading GpuInfo and GpuSample through a loaded NVML.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cairn/gpu.h"
#include "cairn/gpu/nvml_lib.h"

namespace cairn::internal {

std::vector<GpuInfo> NvmlDetect(const NvmlLib& lib);
std::optional<GpuSample> NvmlSample(const NvmlLib& lib, unsigned int index);
// CUDA cores per streaming multiprocessor for a compute capability, or 0
// when unknown; used to derive the SM count from nvmlDeviceGetNumGpuCores.
int CoresPerSm(int major, int minor);

}  // namespace cairn::internal
