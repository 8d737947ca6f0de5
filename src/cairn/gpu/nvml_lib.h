// The slice of NVML that Cairn uses, declared here (no CUDA headers on the
// build machine) and resolved with dlsym at run time.
#pragma once

#include <memory>
#include <string>

namespace cairn::internal {

// NVML's own types, as laid out in nvml.h.
using nvmlReturn_t = int;
constexpr nvmlReturn_t kNvmlSuccess = 0;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
struct nvmlUtilization_t {
  unsigned int gpu, memory;
};
// nvmlDeviceAttributes_t grew over versions; the padding leaves room for
// fields newer drivers may write.
struct nvmlDeviceAttributes_t {
  unsigned int multiprocessorCount;
  unsigned int sharedCopyEngineCount, sharedDecoderCount, sharedEncoderCount;
  unsigned int sharedJpegCount, sharedOfaCount;
  unsigned int gpuInstanceSliceCount, computeInstanceSliceCount;
  unsigned long long memorySizeMB;
  unsigned char reserved[64];
};
constexpr unsigned int kNvmlStringBuffer = 96;  // >= NVML_DEVICE_NAME_V2_BUFFER_SIZE

// A loaded NVML: required entry points are non-null, optional ones may be null.
struct NvmlLib {
  void* handle = nullptr;
  nvmlReturn_t (*Init)() = nullptr;
  nvmlReturn_t (*Shutdown)() = nullptr;
  nvmlReturn_t (*GetCount)(unsigned int*) = nullptr;
  nvmlReturn_t (*GetHandleByIndex)(unsigned int, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*GetName)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*GetUuid)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*GetMemoryInfo)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*GetUtilization)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*GetPowerUsage)(nvmlDevice_t, unsigned int*) = nullptr;  // milliwatts
  nvmlReturn_t (*GetComputeCapability)(nvmlDevice_t, int*, int*) = nullptr;
  nvmlReturn_t (*GetDriverVersion)(char*, unsigned int) = nullptr;
  nvmlReturn_t (*GetCudaDriverVersion)(int*) = nullptr;  // 12020 = 12.2
  // Optional.
  nvmlReturn_t (*GetNumGpuCores)(nvmlDevice_t, unsigned int*) = nullptr;
  nvmlReturn_t (*GetAttributes)(nvmlDevice_t, nvmlDeviceAttributes_t*) = nullptr;

  ~NvmlLib();  // nvmlShutdown and dlclose
};

// dlopens `path`, resolves the entry points and calls nvmlInit_v2. Returns
// null when the library is missing, lacks a required symbol or fails to
// initialise (no driver): all mean "no NVML", not an error.
std::unique_ptr<NvmlLib> LoadNvml(const std::string& path);

}  // namespace cairn::internal
