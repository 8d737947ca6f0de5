// GPU discovery and sampling for the record trail and the GPU slots.
//
// NVML (libnvidia-ml.so.1) is loaded at run time with dlopen; no CUDA headers
// or libraries are needed to build Cairn. When NVML is missing, `nvidia-smi`
// is asked instead (argv, no shell). No GPU, no NVML and no nvidia-smi give
// an empty list: never an error.
//
//   for (const GpuInfo& g : DetectGpus()) fmt::print("{} {}\n", g.index, g.name);
//   if (auto s = SampleGpu("0")) { ... s->util_percent ... }
//
// Thread-safety: all functions and GpuProbe methods are thread-safe. The
// process-wide probe behind the free functions loads NVML once
// (std::call_once) and keeps it loaded for the life of the process.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn {

// Where GPU facts came from.
enum class GpuSource {
  kNone,       // no NVML and no nvidia-smi: no GPUs can be seen
  kNvml,       // libnvidia-ml loaded with dlopen
  kNvidiaSmi,  // the nvidia-smi command-line tool
};
std::string_view GpuSourceName(GpuSource source);  // "none" | "nvml" | "nvidia-smi"

// Static facts about one GPU.
struct GpuInfo {
  int index = 0;                    // NVML / nvidia-smi index
  std::string name;                 // "NVIDIA A100-SXM4-80GB"
  std::string uuid;                 // "GPU-..."
  uint64_t memory_total_bytes = 0;
  std::string compute_capability;   // "8.0"; empty when unknown
  std::optional<int> sm_count;      // streaming multiprocessors; nullopt when unknown
  std::string driver_version;       // "535.104.05"
  std::string cuda_version;         // the driver's CUDA version, "12.2"; empty when unknown
};
// {"index":..,"name":..,"uuid":..,"memory_total_bytes":..,"compute_capability":..,
//  "sm_count": int or null,"driver_version":..,"cuda_version":..}
nlohmann::json GpuInfoToJson(const GpuInfo& info);

// A point-in-time reading of one GPU. Fields the driver does not report are nullopt.
struct GpuSample {
  std::optional<double> util_percent;        // kernel-busy percent, 0..100
  std::optional<uint64_t> memory_used_bytes;
  std::optional<double> power_watts;
};

struct GpuProbeOptions {
  // The NVML library to dlopen. Empty: $CAIRN_NVML_LIBRARY, else "libnvidia-ml.so.1".
  std::string nvml_library;
  // ":"-separated folders searched for nvidia-smi when NVML is missing.
  // Empty: $PATH.
  std::string search_path;
  // Set false to never run nvidia-smi (NVML or nothing).
  bool use_nvidia_smi = true;
  // Seconds an nvidia-smi call may take before it is killed.
  double nvidia_smi_timeout_s = 10.0;
};

// One view of the machine's GPUs. Loads NVML in the constructor and unloads
// it (nvmlShutdown + dlclose) in the destructor. Static facts are read once
// and cached; samples are read on every call.
class GpuProbe {
 public:
  explicit GpuProbe(GpuProbeOptions options = {});
  ~GpuProbe();
  GpuProbe(const GpuProbe&) = delete;
  GpuProbe& operator=(const GpuProbe&) = delete;

  GpuSource source() const;
  // The GPUs, by index. Empty when none can be seen.
  std::vector<GpuInfo> Detect();
  // Samples the GPU named by its index ("0") or UUID ("GPU-..."); nullopt
  // when there is no such GPU or it cannot be read.
  std::optional<GpuSample> Sample(const std::string& index_or_uuid);
  // The GPU named by index or UUID, from Detect(); nullopt when unknown.
  std::optional<GpuInfo> Find(const std::string& index_or_uuid);

  // The process-wide probe with default options (never destroyed).
  static GpuProbe& Default();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// GpuProbe::Default().Detect().
std::vector<GpuInfo> DetectGpus();
// GpuProbe::Default().Sample(...).
std::optional<GpuSample> SampleGpu(const std::string& index_or_uuid);
std::optional<GpuSample> SampleGpu(int index);

// The device ids the coordinator may hand out as GPU slots: the entries of
// $CUDA_VISIBLE_DEVICES when it is set (empty when it is set to ""), else
// the detected GPUs' indices as strings.
std::vector<std::string> DetectGpuIds();
// The entries of a CUDA_VISIBLE_DEVICES value: comma-separated, trimmed,
// empty entries dropped; a "-1" entry ends the list, as it does for CUDA
// ("-1" alone: no devices).
std::vector<std::string> ParseVisibleDevices(std::string_view value);

}  // namespace cairn
