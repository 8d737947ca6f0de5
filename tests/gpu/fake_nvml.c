/* A fake libnvidia-ml for tests: the NVML entry points Cairn resolves,
 * serving fake GPUs with fixed facts. Tests load it through
 * CAIRN_NVML_LIBRARY (or GpuProbeOptions::nvml_library).
 *
 * Environment knobs, read on every call:
 *   FAKE_NVML_GPU_COUNT     number of GPUs (default 2, at most 8)
 *   FAKE_NVML_FAIL_INIT     when set, nvmlInit_v2 fails (driver not loaded)
 *   FAKE_NVML_NO_ATTRIBUTES when set, nvmlDeviceGetAttributes_v2 is "not
 *                           supported", so the SM count comes from the cores
 *   FAKE_NVML_UTIL          utilization percent of every GPU (default 40 + index)
 *   FAKE_NVML_MEM_USED_MIB  memory in use on every GPU (default index + 1 GiB)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
enum { OK = 0, ERR_UNINITIALIZED = 1, ERR_INVALID_ARGUMENT = 2, ERR_NOT_SUPPORTED = 3,
       ERR_INSUFFICIENT_SIZE = 7, ERR_DRIVER_NOT_LOADED = 9 };

struct nvmlDevice_st { unsigned int index; };
typedef struct nvmlDevice_st* nvmlDevice_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct {
  unsigned int multiprocessorCount, sharedCopyEngineCount, sharedDecoderCount,
      sharedEncoderCount, sharedJpegCount, sharedOfaCount, gpuInstanceSliceCount,
      computeInstanceSliceCount;
  unsigned long long memorySizeMB;
} nvmlDeviceAttributes_t;

static struct nvmlDevice_st devices[8] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};
static int initialised = 0;
static const unsigned long long kTotal = 85899345920ULL; /* 80 GiB */

static unsigned int Count(void) {
  const char* v = getenv("FAKE_NVML_GPU_COUNT");
  int n = v ? atoi(v) : 2;
  return n < 0 ? 0 : (n > 8 ? 8 : (unsigned int)n);
}

static nvmlReturn_t CopyString(char* dst, unsigned int len, const char* src) {
  if (dst == NULL) return ERR_INVALID_ARGUMENT;
  if (strlen(src) + 1 > len) return ERR_INSUFFICIENT_SIZE;
  strcpy(dst, src);
  return OK;
}

static int Valid(nvmlDevice_t d) { return initialised && d != NULL && d->index < Count(); }

nvmlReturn_t nvmlInit_v2(void) {
  if (getenv("FAKE_NVML_FAIL_INIT")) return ERR_DRIVER_NOT_LOADED;
  ++initialised; /* reference-counted, as in the real NVML */
  return OK;
}
nvmlReturn_t nvmlShutdown(void) {
  if (initialised == 0) return ERR_UNINITIALIZED;
  --initialised;
  return OK;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
  if (!initialised) return ERR_UNINITIALIZED;
  *count = Count();
  return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  if (!initialised) return ERR_UNINITIALIZED;
  if (index >= Count()) return ERR_INVALID_ARGUMENT;
  *device = &devices[index];
  return OK;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char* name, unsigned int len) {
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  return CopyString(name, len, d->index % 2 == 0 ? "Fake A100-SXM4-80GB" : "Fake H100 80GB HBM3");
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char* uuid, unsigned int len) {
  char buf[64];
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  snprintf(buf, sizeof buf, "GPU-fake0000-0000-0000-0000-00000000000%u", d->index);
  return CopyString(uuid, len, buf);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t* mem) {
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  mem->total = kTotal;
  const char* used_mib = getenv("FAKE_NVML_MEM_USED_MIB");
  mem->used = used_mib ? strtoull(used_mib, NULL, 10) * 1048576ULL
                       : (d->index + 1) * 1073741824ULL; /* 1 GiB per index + 1 */
  mem->free = mem->total - mem->used;
  return OK;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int* major, int* minor) {
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  *major = d->index % 2 == 0 ? 8 : 9;
  *minor = 0;
  return OK;
}

nvmlReturn_t nvmlDeviceGetNumGpuCores(nvmlDevice_t d, unsigned int* cores) {
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  *cores = d->index % 2 == 0 ? 6912 : 16896; /* 108 x 64, 132 x 128 */
  return OK;
}

nvmlReturn_t nvmlDeviceGetAttributes_v2(nvmlDevice_t d, nvmlDeviceAttributes_t* attrs) {
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  if (getenv("FAKE_NVML_NO_ATTRIBUTES")) return ERR_NOT_SUPPORTED;
  memset(attrs, 0, sizeof *attrs);
  attrs->multiprocessorCount = d->index % 2 == 0 ? 108 : 132;
  attrs->memorySizeMB = kTotal >> 20;
  return OK;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int len) {
  if (!initialised) return ERR_UNINITIALIZED;
  return CopyString(version, len, "535.104.05");
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* version) {
  if (!initialised) return ERR_UNINITIALIZED;
  *version = 12020;
  return OK;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t* util) {
  const char* v = getenv("FAKE_NVML_UTIL");
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  util->gpu = v ? (unsigned int)atoi(v) : 40 + d->index;
  util->memory = 10;
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int* milliwatts) {
  if (!Valid(d)) return ERR_INVALID_ARGUMENT;
  *milliwatts = 250000 + 1000 * d->index;
  return OK;
}
