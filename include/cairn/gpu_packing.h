// GpuPacking: how many trials to put on one GPU (`resources: {packing: auto}`),
// learned from the GPU memory the study's trials really used.
//
// It starts with one trial per GPU. Each trial that ran alone on its GPU
// tells its peak memory; the count per GPU is then the most trials of the
// largest peak seen so far that fit in the device's memory less a safety
// margin:
//     per_gpu = clamp(floor(memory * (1 - margin) / largest_peak), 1, max_per_gpu)
// The largest peak, not the mean: parameters change what a trial needs
// (width, batch size), and one trial too many on a GPU kills all of them.
// A trial that dies of GPU out-of-memory while n trials shared its GPU caps
// the count below n for the rest of the study (and the coordinator runs it
// again alone).
//
// Peaks are only learned from trials alone on their GPU: NVML's device
// memory reading of a shared GPU is everyone's memory, and learning from it
// would drive the count back down to one.
//
// Thread-safety: none; owned by the coordinator loop.
//
//   GpuPacking packing({.margin = 0.1}, 80ull << 30);
//   slots.Acquire(packing.Share());   ...   packing.RecordPeak(trial_peak_bytes);
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "cairn/status.h"

namespace cairn {

struct GpuPackingOptions {
  double margin = 0.1;  // fraction of each GPU's memory never planned for
  int max_per_gpu = 8;  // never more trials than this on one GPU
};

// InvalidArgument naming the field: margin outside [0, 1), max_per_gpu < 1.
Status ValidateGpuPackingOptions(const GpuPackingOptions& options);

class GpuPacking {
 public:
  // `device_memory_bytes`: the smallest memory of the GPUs packed (0 when
  // unknown: then the count stays at one per GPU).
  GpuPacking(GpuPackingOptions options, uint64_t device_memory_bytes);

  // Trials per GPU for the next launch (1..max_per_gpu).
  int PerGpu() const;
  // The GPU share of one trial at that count (1 / PerGpu()).
  double Share() const { return 1.0 / PerGpu(); }

  // A trial alone on its GPU used at most `bytes` of its memory.
  void RecordPeak(uint64_t bytes);
  // A trial ran out of GPU memory while `per_gpu` trials shared its GPU.
  void RecordOutOfMemory(int per_gpu);

  std::optional<uint64_t> largest_peak() const { return largest_peak_; }
  // {"per_gpu", "largest_peak_bytes", "device_memory_bytes", "margin", "cap"} for trial attrs.
  nlohmann::json ToJson() const;

 private:
  GpuPackingOptions options_;
  uint64_t device_memory_bytes_;
  std::optional<uint64_t> largest_peak_;
  int cap_;  // max_per_gpu, lowered by out-of-memory deaths
};

// True when a trial's stderr text says the GPU ran out of memory
// (PyTorch, TensorFlow, JAX/XLA and the CUDA driver's own words).
bool LooksLikeGpuOutOfMemory(std::string_view stderr_text);

}  // namespace cairn
