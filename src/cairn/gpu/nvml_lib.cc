#include "cairn/gpu/nvml_lib.h"

#include <dlfcn.h>

namespace cairn::internal {
namespace {

// Resolves `name` into `fn`; true when found.
template <typename Fn>
bool Resolve(void* handle, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  return fn != nullptr;
}

bool ResolveRequired(NvmlLib& lib) {
  void* h = lib.handle;
  return Resolve(h, "nvmlInit_v2", lib.Init) && Resolve(h, "nvmlShutdown", lib.Shutdown) &&
         Resolve(h, "nvmlDeviceGetCount_v2", lib.GetCount) &&
         Resolve(h, "nvmlDeviceGetHandleByIndex_v2", lib.GetHandleByIndex) &&
         Resolve(h, "nvmlDeviceGetName", lib.GetName) &&
         Resolve(h, "nvmlDeviceGetUUID", lib.GetUuid) &&
         Resolve(h, "nvmlDeviceGetMemoryInfo", lib.GetMemoryInfo) &&
         Resolve(h, "nvmlDeviceGetUtilizationRates", lib.GetUtilization) &&
         Resolve(h, "nvmlDeviceGetPowerUsage", lib.GetPowerUsage) &&
         Resolve(h, "nvmlDeviceGetCudaComputeCapability", lib.GetComputeCapability) &&
         Resolve(h, "nvmlSystemGetDriverVersion", lib.GetDriverVersion) &&
         Resolve(h, "nvmlSystemGetCudaDriverVersion_v2", lib.GetCudaDriverVersion);
}

}  // namespace

NvmlLib::~NvmlLib() {
  if (Shutdown != nullptr) Shutdown();
  if (handle != nullptr) dlclose(handle);
}

std::unique_ptr<NvmlLib> LoadNvml(const std::string& path) {
  auto lib = std::make_unique<NvmlLib>();
  lib->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle == nullptr) return nullptr;
  if (!ResolveRequired(*lib) || lib->Init() != kNvmlSuccess) {
    lib->Shutdown = nullptr;  // never initialised: nothing to shut down
    return nullptr;
  }
  Resolve(lib->handle, "nvmlDeviceGetNumGpuCores", lib->GetNumGpuCores);
  Resolve(lib->handle, "nvmlDeviceGetAttributes_v2", lib->GetAttributes);
  return lib;
}

}  // namespace cairn::internal
