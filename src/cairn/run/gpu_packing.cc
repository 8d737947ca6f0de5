#include "cairn/gpu_packing.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace cairn {

Status ValidateGpuPackingOptions(const GpuPackingOptions& options) {
  if (!(options.margin >= 0.0 && options.margin < 1.0)) {
    return InvalidArgument(fmt::format("packing margin is {}; expected a fraction in [0, 1)", options.margin));
  }
  if (options.max_per_gpu < 1) {
    return InvalidArgument(fmt::format("max_per_gpu is {}; expected at least 1", options.max_per_gpu));
  }
  return Status::Ok();
}

GpuPacking::GpuPacking(GpuPackingOptions options, uint64_t device_memory_bytes)
    : options_(options), device_memory_bytes_(device_memory_bytes), cap_(std::max(1, options.max_per_gpu)) {}

int GpuPacking::PerGpu() const {
  if (!largest_peak_ || device_memory_bytes_ == 0) return 1;
  double room = static_cast<double>(device_memory_bytes_) * (1.0 - options_.margin);
  double fits = std::floor(room / static_cast<double>(std::max<uint64_t>(*largest_peak_, 1)));
  return static_cast<int>(std::clamp(fits, 1.0, static_cast<double>(cap_)));
}

void GpuPacking::RecordPeak(uint64_t bytes) {
  if (bytes == 0) return;  // no reading: the driver said nothing
  largest_peak_ = std::max(largest_peak_.value_or(0), bytes);
}

void GpuPacking::RecordOutOfMemory(int per_gpu) { cap_ = std::max(1, std::min(cap_, per_gpu - 1)); }

nlohmann::json GpuPacking::ToJson() const {
  return {{"per_gpu", PerGpu()},
          {"largest_peak_bytes", largest_peak_ ? nlohmann::json(*largest_peak_) : nlohmann::json(nullptr)},
          {"device_memory_bytes", device_memory_bytes_},
          {"margin", options_.margin},
          {"cap", cap_}};
}

bool LooksLikeGpuOutOfMemory(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kSigns = {
      "CUDA out of memory",          // PyTorch (RuntimeError / torch.cuda.OutOfMemoryError)
      "OutOfMemoryError",            // torch.cuda.OutOfMemoryError, cupy
      "CUDA_ERROR_OUT_OF_MEMORY",    // the driver API, JAX
      "cudaErrorMemoryAllocation",   // the runtime API
      "RESOURCE_EXHAUSTED: Out of memory",  // XLA / JAX
      "ResourceExhaustedError",      // TensorFlow
  };
  return std::any_of(kSigns.begin(), kSigns.end(),
                     [&](std::string_view s) { return text.find(s) != std::string_view::npos; });
}

}  // namespace cairn
