#include <cstdlib>
#include <mutex>

#include "cairn/gpu.h"
#include "cairn/gpu/nvidia_smi.h"
#include "cairn/gpu/nvml_read.h"
#include "cairn/gpu/run_command.h"
#include "cairn/split.h"

namespace cairn {

struct GpuProbe::Impl {
  GpuProbeOptions options;
  GpuSource source = GpuSource::kNone;
  std::unique_ptr<internal::NvmlLib> nvml;
  std::string smi;  // absolute path of nvidia-smi when that is the source
  std::once_flag detect_once;
  std::vector<GpuInfo> gpus;  // written once under detect_once
};

namespace {

std::string NvmlPath(const GpuProbeOptions& options) {
  if (!options.nvml_library.empty()) return options.nvml_library;
  const char* env = std::getenv("CAIRN_NVML_LIBRARY");
  if (env != nullptr && *env != '\0') return env;
  return "libnvidia-ml.so.1";
}

}  // namespace

std::string_view GpuSourceName(GpuSource source) {
  switch (source) {
    case GpuSource::kNone: return "none";
    case GpuSource::kNvml: return "nvml";
    case GpuSource::kNvidiaSmi: return "nvidia-smi";
  }
  return "none";
}

nlohmann::json GpuInfoToJson(const GpuInfo& g) {
  return {{"index", g.index},
          {"name", g.name},
          {"uuid", g.uuid},
          {"memory_total_bytes", g.memory_total_bytes},
          {"compute_capability", g.compute_capability},
          {"sm_count", g.sm_count ? nlohmann::json(*g.sm_count) : nlohmann::json(nullptr)},
          {"driver_version", g.driver_version},
          {"cuda_version", g.cuda_version}};
}

GpuProbe::GpuProbe(GpuProbeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->nvml = internal::LoadNvml(NvmlPath(impl_->options));
  if (impl_->nvml) {
    impl_->source = GpuSource::kNvml;
    return;
  }
  if (!impl_->options.use_nvidia_smi) return;
  if (auto smi = internal::FindProgram("nvidia-smi", impl_->options.search_path)) {
    impl_->smi = *smi;
    impl_->source = GpuSource::kNvidiaSmi;
  }
}

GpuProbe::~GpuProbe() = default;

GpuSource GpuProbe::source() const { return impl_->source; }

std::vector<GpuInfo> GpuProbe::Detect() {
  std::call_once(impl_->detect_once, [this] {
    if (impl_->source == GpuSource::kNvml) {
      impl_->gpus = internal::NvmlDetect(*impl_->nvml);
    } else if (impl_->source == GpuSource::kNvidiaSmi) {
      impl_->gpus = internal::SmiDetect(impl_->smi, impl_->options.nvidia_smi_timeout_s);
    }
  });
  return impl_->gpus;
}

std::optional<GpuInfo> GpuProbe::Find(const std::string& id) {
  for (const GpuInfo& g : Detect()) {
    if (g.uuid == id || (IsAllDigits(id) && std::to_string(g.index) == id)) return g;
  }
  return std::nullopt;
}

std::optional<GpuSample> GpuProbe::Sample(const std::string& id) {
  auto gpu = Find(id);
  if (!gpu) return std::nullopt;
  if (impl_->source == GpuSource::kNvml) {
    return internal::NvmlSample(*impl_->nvml, static_cast<unsigned int>(gpu->index));
  }
  if (impl_->source == GpuSource::kNvidiaSmi) {
    return internal::SmiSample(impl_->smi, std::to_string(gpu->index),
                               impl_->options.nvidia_smi_timeout_s);
  }
  return std::nullopt;
}

GpuProbe& GpuProbe::Default() {
  // Leaked on purpose: samplers on other threads may outlive static destructors.
  static GpuProbe* probe = new GpuProbe();
  return *probe;
}

std::vector<GpuInfo> DetectGpus() { return GpuProbe::Default().Detect(); }

std::optional<GpuSample> SampleGpu(const std::string& id) { return GpuProbe::Default().Sample(id); }

std::optional<GpuSample> SampleGpu(int index) { return SampleGpu(std::to_string(index)); }

std::vector<std::string> ParseVisibleDevices(std::string_view value) {
  std::vector<std::string> out;
  for (std::string_view item : SplitView(value, ',')) {
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b == std::string_view::npos) continue;
    std::string_view id = item.substr(b, e - b + 1);
    if (id == "-1") break;  // CUDA ignores this entry and every one after it
    out.emplace_back(id);
  }
  return out;
}

std::vector<std::string> DetectGpuIds() {
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    return ParseVisibleDevices(visible);
  }
  std::vector<std::string> ids;
  for (const GpuInfo& g : DetectGpus()) ids.push_back(std::to_string(g.index));
  return ids;
}

}  // namespace cairn
