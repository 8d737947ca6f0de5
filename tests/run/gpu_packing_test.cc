#include "cairn/gpu_packing.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

TEST(GpuPacking, StartsWithOneTrialPerGpu) {
  GpuPacking packing({}, 80 * kGiB);
  EXPECT_EQ(packing.PerGpu(), 1);
  EXPECT_DOUBLE_EQ(packing.Share(), 1.0);
}

TEST(GpuPacking, FitsTheLargestPeakIntoMemoryLessTheMargin) {
  GpuPacking packing({.margin = 0.1, .max_per_gpu = 8}, 80 * kGiB);
  packing.RecordPeak(20 * kGiB);  // 72 GiB of room: 3 trials of 20
  EXPECT_EQ(packing.PerGpu(), 3);
  EXPECT_DOUBLE_EQ(packing.Share(), 1.0 / 3);
  packing.RecordPeak(10 * kGiB);  // a smaller trial does not raise it: the largest peak counts
  EXPECT_EQ(packing.PerGpu(), 3);
  packing.RecordPeak(30 * kGiB);
  EXPECT_EQ(packing.PerGpu(), 2);
}

TEST(GpuPacking, NeverPastMaxPerGpuOrBelowOne) {
  GpuPacking small_trials({.margin = 0.1, .max_per_gpu = 4}, 80 * kGiB);
  small_trials.RecordPeak(1 * kGiB);
  EXPECT_EQ(small_trials.PerGpu(), 4);
  GpuPacking huge_trials({}, 80 * kGiB);
  huge_trials.RecordPeak(79 * kGiB);
  EXPECT_EQ(huge_trials.PerGpu(), 1);
}

TEST(GpuPacking, UnknownDeviceMemoryOrNoReadingKeepsOnePerGpu) {
  GpuPacking unknown({}, 0);
  unknown.RecordPeak(kGiB);
  EXPECT_EQ(unknown.PerGpu(), 1);
  GpuPacking no_reading({}, 80 * kGiB);
  no_reading.RecordPeak(0);
  EXPECT_EQ(no_reading.PerGpu(), 1);
  EXPECT_FALSE(no_reading.largest_peak());
}

TEST(GpuPacking, OutOfMemoryCapsTheCountBelowWhatFailed) {
  GpuPacking packing({}, 80 * kGiB);
  packing.RecordPeak(10 * kGiB);
  EXPECT_EQ(packing.PerGpu(), 7);
  packing.RecordOutOfMemory(7);
  EXPECT_EQ(packing.PerGpu(), 6);
  packing.RecordOutOfMemory(2);
  EXPECT_EQ(packing.PerGpu(), 1);
  packing.RecordOutOfMemory(1);  // never below one
  EXPECT_EQ(packing.PerGpu(), 1);
  EXPECT_EQ(packing.ToJson()["cap"], 1);
}

TEST(GpuPacking, ValidatesItsOptions) {
  EXPECT_TRUE(ValidateGpuPackingOptions({}).ok());
  EXPECT_EQ(ValidateGpuPackingOptions({.margin = 1.0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateGpuPackingOptions({.margin = -0.1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateGpuPackingOptions({.margin = 0.1, .max_per_gpu = 0}).code(), StatusCode::kInvalidArgument);
}

TEST(GpuOutOfMemory, RecognisesTheFrameworksWords) {
  EXPECT_TRUE(LooksLikeGpuOutOfMemory(
      "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity)"));
  EXPECT_TRUE(LooksLikeGpuOutOfMemory("torch.cuda.OutOfMemoryError: ..."));
  EXPECT_TRUE(LooksLikeGpuOutOfMemory("jaxlib.xla_extension.XlaRuntimeError: RESOURCE_EXHAUSTED: Out of memory"));
  EXPECT_TRUE(LooksLikeGpuOutOfMemory("tensorflow.python.framework.errors_impl.ResourceExhaustedError: OOM"));
  EXPECT_TRUE(LooksLikeGpuOutOfMemory("CUDA_ERROR_OUT_OF_MEMORY: out of memory"));
  EXPECT_FALSE(LooksLikeGpuOutOfMemory("Killed\nMemoryError: host memory"));
  EXPECT_FALSE(LooksLikeGpuOutOfMemory(""));
}

}  // namespace
}  // namespace cairn
