#include "cairn/gpu.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "support/paths.h"

namespace cairn {
namespace {

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1); else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_.c_str(), old_->c_str(), 1); else unsetenv(name_.c_str());
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

GpuProbeOptions FakeNvml() {
  return {.nvml_library = CAIRN_FAKE_NVML, .use_nvidia_smi = false};
}

// A folder holding only an executable script named nvidia-smi.
std::filesystem::path FakeSmiDir(const std::string& script) {
  auto dir = testing::MakeTempDir("cairn-smi");
  testing::WriteFile(dir / "nvidia-smi", "#!/bin/sh\n" + script);
  chmod((dir / "nvidia-smi").c_str(), 0755);
  return dir;
}

TEST(GpuProbe, FakeNvmlServesTwoGpus) {
  GpuProbe probe(FakeNvml());
  ASSERT_EQ(probe.source(), GpuSource::kNvml);
  auto gpus = probe.Detect();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].index, 0);
  EXPECT_EQ(gpus[0].name, "Fake A100-SXM4-80GB");
  EXPECT_EQ(gpus[1].name, "Fake H100 80GB HBM3");
  EXPECT_EQ(gpus[0].uuid, "GPU-fake0000-0000-0000-0000-000000000000");
  EXPECT_EQ(gpus[1].uuid, "GPU-fake0000-0000-0000-0000-000000000001");
  EXPECT_EQ(gpus[0].memory_total_bytes, 80ull << 30);
  EXPECT_EQ(gpus[0].compute_capability, "8.0");
  EXPECT_EQ(gpus[1].compute_capability, "9.0");
  EXPECT_EQ(gpus[0].sm_count, 108);
  EXPECT_EQ(gpus[1].sm_count, 132);
  EXPECT_EQ(gpus[0].driver_version, "535.104.05");
  EXPECT_EQ(gpus[0].cuda_version, "12.2");
}

TEST(GpuProbe, SmCountDerivedFromCoresWithoutAttributes) {
  ScopedEnv no_attrs("FAKE_NVML_NO_ATTRIBUTES", "1");
  GpuProbe probe(FakeNvml());
  auto gpus = probe.Detect();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].sm_count, 6912 / 64);   // compute capability 8.0: 64 cores per SM
  EXPECT_EQ(gpus[1].sm_count, 16896 / 128);  // 9.0: 128
}

TEST(GpuProbe, SamplesByIndexAndUuid) {
  GpuProbe probe(FakeNvml());
  auto s0 = probe.Sample("0");
  ASSERT_TRUE(s0.has_value());
  EXPECT_EQ(s0->util_percent, 40.0);
  EXPECT_EQ(s0->memory_used_bytes, 1ull << 30);
  EXPECT_EQ(s0->power_watts, 250.0);
  auto s1 = probe.Sample("GPU-fake0000-0000-0000-0000-000000000001");
  ASSERT_TRUE(s1.has_value());
  EXPECT_EQ(s1->util_percent, 41.0);
  EXPECT_EQ(s1->power_watts, 251.0);
  EXPECT_FALSE(probe.Sample("7").has_value());
  EXPECT_FALSE(probe.Sample("GPU-nope").has_value());
}

TEST(GpuProbe, JsonHasEveryField) {
  GpuProbe probe(FakeNvml());
  auto j = GpuInfoToJson(probe.Detect().at(0));
  for (const char* key : {"index", "name", "uuid", "memory_total_bytes", "compute_capability",
                          "sm_count", "driver_version", "cuda_version"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["sm_count"], 108);
  GpuInfo unknown;
  EXPECT_TRUE(GpuInfoToJson(unknown)["sm_count"].is_null());
}

TEST(GpuProbe, NoNvmlNoSmiIsEmptyNotAnError) {
  auto empty_dir = testing::MakeTempDir("cairn-nogpu");
  GpuProbe probe({.nvml_library = (empty_dir / "libnvidia-ml.so.1").string(),
                  .search_path = empty_dir.string()});
  EXPECT_EQ(probe.source(), GpuSource::kNone);
  EXPECT_TRUE(probe.Detect().empty());
  EXPECT_FALSE(probe.Sample("0").has_value());
  std::filesystem::remove_all(empty_dir);
}

TEST(GpuProbe, FailedInitMeansNoNvml) {
  ScopedEnv fail("FAKE_NVML_FAIL_INIT", "1");
  GpuProbe probe(FakeNvml());
  EXPECT_EQ(probe.source(), GpuSource::kNone);
  EXPECT_TRUE(probe.Detect().empty());
}

TEST(GpuProbe, FallsBackToNvidiaSmi) {
  auto dir = FakeSmiDir(
      "case \"$1\" in\n"
      "  --query-gpu=index,*) echo '0, Fake V100, GPU-smi-0, 16384, 470.1, 7.0'\n"
      "                       echo '1, Fake V100, GPU-smi-1, 16384, 470.1, 7.0' ;;\n"
      "  --query-gpu=util*) echo '55, 2048, [N/A]' ;;\n"
      "esac\n");
  auto missing = dir / "missing.so";
  GpuProbe probe({.nvml_library = missing.string(), .search_path = dir.string()});
  ASSERT_EQ(probe.source(), GpuSource::kNvidiaSmi);
  auto gpus = probe.Detect();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[1].uuid, "GPU-smi-1");
  EXPECT_EQ(gpus[0].memory_total_bytes, 16384ull << 20);
  EXPECT_EQ(gpus[0].compute_capability, "7.0");
  EXPECT_FALSE(gpus[0].sm_count.has_value());
  auto s = probe.Sample("GPU-smi-1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->util_percent, 55.0);
  EXPECT_EQ(s->memory_used_bytes, 2048ull << 20);
  EXPECT_FALSE(s->power_watts.has_value());  // "[N/A]"
  std::filesystem::remove_all(dir);
}

TEST(GpuProbe, FailingNvidiaSmiIsEmpty) {
  auto dir = FakeSmiDir("echo 'NVIDIA-SMI has failed' >&2; exit 9\n");
  GpuProbe probe({.nvml_library = (dir / "none.so").string(), .search_path = dir.string()});
  EXPECT_TRUE(probe.Detect().empty());
  std::filesystem::remove_all(dir);
}

TEST(VisibleDevices, Parses) {
  EXPECT_EQ(ParseVisibleDevices("0,1, 3"), (std::vector<std::string>{"0", "1", "3"}));
  EXPECT_EQ(ParseVisibleDevices("GPU-abc"), (std::vector<std::string>{"GPU-abc"}));
  EXPECT_TRUE(ParseVisibleDevices("").empty());
  EXPECT_TRUE(ParseVisibleDevices("-1").empty());
  EXPECT_EQ(ParseVisibleDevices("2,-1,3"), (std::vector<std::string>{"2"}));
}

TEST(VisibleDevices, DetectGpuIdsPrefersCudaVisibleDevices) {
  ScopedEnv visible("CUDA_VISIBLE_DEVICES", "1,0");
  EXPECT_EQ(DetectGpuIds(), (std::vector<std::string>{"1", "0"}));
  ScopedEnv none("CUDA_VISIBLE_DEVICES", "");
  EXPECT_TRUE(DetectGpuIds().empty());
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST(GpuEnv, MissingLibraryAndNoSmiOnPathIsEmpty) {
  auto empty_dir = testing::MakeTempDir("cairn-nogpu");
  ScopedEnv lib("CAIRN_NVML_LIBRARY", (empty_dir / "missing.so").c_str());
  ScopedEnv path("PATH", empty_dir.c_str());
  GpuProbe probe;  // default options: environment only
  EXPECT_EQ(probe.source(), GpuSource::kNone);
  EXPECT_TRUE(probe.Detect().empty());
  std::filesystem::remove_all(empty_dir);
}

// The only test that touches the process-wide probe, which is created once.
TEST(GpuEnv, DefaultProbeUsesCairnNvmlLibrary) {
  ScopedEnv lib("CAIRN_NVML_LIBRARY", CAIRN_FAKE_NVML);
  ScopedEnv visible("CUDA_VISIBLE_DEVICES", nullptr);
  auto gpus = DetectGpus();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(DetectGpuIds(), (std::vector<std::string>{"0", "1"}));
  auto s = SampleGpu(1);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->util_percent, 41.0);
}

}  // namespace
}  // namespace cairn
