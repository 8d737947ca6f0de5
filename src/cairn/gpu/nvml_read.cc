#include "cairn/gpu/nvml_read.h"

#include <fmt/format.h>

namespace cairn::internal {
namespace {

std::string DriverVersion(const NvmlLib& lib) {
  char buf[kNvmlStringBuffer] = {};
  if (lib.GetDriverVersion(buf, sizeof buf) != kNvmlSuccess) return "";
  return buf;
}

std::string CudaVersion(const NvmlLib& lib) {
  int v = 0;
  if (lib.GetCudaDriverVersion(&v) != kNvmlSuccess || v <= 0) return "";
  return fmt::format("{}.{}", v / 1000, (v % 1000) / 10);
}

// The SM count from the device attributes, else derived from the CUDA core
// count and the cores per SM of its architecture, else unknown.
std::optional<int> SmCount(const NvmlLib& lib, nvmlDevice_t dev, int major, int minor) {
  if (lib.GetAttributes != nullptr) {
    nvmlDeviceAttributes_t attrs{};
    if (lib.GetAttributes(dev, &attrs) == kNvmlSuccess && attrs.multiprocessorCount > 0) {
      return static_cast<int>(attrs.multiprocessorCount);
    }
  }
  unsigned int cores = 0;
  int per_sm = CoresPerSm(major, minor);
  if (lib.GetNumGpuCores != nullptr && per_sm > 0 &&
      lib.GetNumGpuCores(dev, &cores) == kNvmlSuccess && cores > 0) {
    return static_cast<int>(cores) / per_sm;
  }
  return std::nullopt;
}

GpuInfo ReadDevice(const NvmlLib& lib, unsigned int index, nvmlDevice_t dev) {
  GpuInfo info;
  info.index = static_cast<int>(index);
  char buf[kNvmlStringBuffer] = {};
  if (lib.GetName(dev, buf, sizeof buf) == kNvmlSuccess) info.name = buf;
  buf[0] = '\0';
  if (lib.GetUuid(dev, buf, sizeof buf) == kNvmlSuccess) info.uuid = buf;
  nvmlMemory_t mem{};
  if (lib.GetMemoryInfo(dev, &mem) == kNvmlSuccess) info.memory_total_bytes = mem.total;
  int major = 0, minor = 0;
  if (lib.GetComputeCapability(dev, &major, &minor) == kNvmlSuccess) {
    info.compute_capability = fmt::format("{}.{}", major, minor);
  }
  info.sm_count = SmCount(lib, dev, major, minor);
  return info;
}

}  // namespace

int CoresPerSm(int major, int minor) {
  switch (major) {
    case 3: return 192;                       // Kepler
    case 5: return 128;                       // Maxwell
    case 6: return minor == 0 ? 64 : 128;     // Pascal (P100 vs consumer)
    case 7: return 64;                        // Volta, Turing
    case 8: return minor == 0 ? 64 : 128;     // Ampere A100 vs GA10x, Ada
    case 9: return 128;                       // Hopper
    case 10: case 12: return 128;             // Blackwell
    default: return 0;
  }
}

std::vector<GpuInfo> NvmlDetect(const NvmlLib& lib) {
  std::vector<GpuInfo> out;
  unsigned int count = 0;
  if (lib.GetCount(&count) != kNvmlSuccess) return out;
  std::string driver = DriverVersion(lib);
  std::string cuda = CudaVersion(lib);
  for (unsigned int i = 0; i < count; ++i) {
    nvmlDevice_t dev = nullptr;
    if (lib.GetHandleByIndex(i, &dev) != kNvmlSuccess) continue;
    GpuInfo info = ReadDevice(lib, i, dev);
    info.driver_version = driver;
    info.cuda_version = cuda;
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<GpuSample> NvmlSample(const NvmlLib& lib, unsigned int index) {
  nvmlDevice_t dev = nullptr;
  if (lib.GetHandleByIndex(index, &dev) != kNvmlSuccess) return std::nullopt;
  GpuSample s;
  nvmlUtilization_t util{};
  if (lib.GetUtilization(dev, &util) == kNvmlSuccess) s.util_percent = util.gpu;
  nvmlMemory_t mem{};
  if (lib.GetMemoryInfo(dev, &mem) == kNvmlSuccess) s.memory_used_bytes = mem.used;
  unsigned int mw = 0;
  if (lib.GetPowerUsage(dev, &mw) == kNvmlSuccess) s.power_watts = mw / 1000.0;
  return s;
}

}  // namespace cairn::internal
