// `resources: {packing: auto}` end to end with the fake NVML library: one
// trial alone first, then as many per GPU as its peak memory leaves room
// for, and a trial that runs out of GPU memory while sharing is recorded as
// such and run again alone.
#include <gtest/gtest.h>

#include <set>

#include "cairn/store.h"
#include "cli/cli_runner.h"

namespace cairn::testing {
namespace {

// Reports 6 steps over ~1.8 s (the utilization sampler reads the GPU every
// second); trial number 2 dies the way PyTorch does when the GPU is full.
constexpr char kTrial[] = R"py(
import os, sys, time
number = int(os.path.basename(os.environ["CAIRN_TRIAL_DIR"]))
for step in range(1, 7):
    if number == 2 and step == 2:
        print("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB", file=sys.stderr)
        sys.exit(1)
    print(f"step={step} score={float(sys.argv[1]) * step:.4f}", flush=True)
    time.sleep(0.3)
)py";

TEST(GpuPackingCli, PacksByRecordedPeakAndRerunsOutOfMemoryAlone) {
#ifndef CAIRN_FAKE_NVML
  GTEST_SKIP() << "the fake NVML library is not built";
#else
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "needs /usr/bin/python3";
  auto dir = MakeTempDir("cairn-packing");
  WriteFile(dir / "trial.py", kTrial);
  WriteFile(dir / "study.yaml",
            "name: packed\n"
            "command: [\"/usr/bin/python3\", \"trial.py\", \"{x}\"]\n"
            "space: {x: {type: float, low: 0.0, high: 1.0}}\n"
            "objective: {metric: score, direction: maximize, step: step}\n"
            "budget: {trials: 7, parallel: 4}\n"
            "resources: {packing: auto, margin: 0.1}\n"
            "sampler: {name: random, seed: 1}\n");
  std::string store_url = "sqlite://" + (dir / "cairn.db").string();
  // One fake 80 GiB GPU on which every trial alone uses 20 GiB: 72 GiB of
  // room after the margin holds 3 trials.
  std::map<std::string, std::string> env = {{"CAIRN_NVML_LIBRARY", CAIRN_FAKE_NVML},
                                            {"FAKE_NVML_GPU_COUNT", "1"},
                                            {"FAKE_NVML_MEM_USED_MIB", "20480"},
                                            {"CUDA_VISIBLE_DEVICES", "0"}};
  auto run = RunCairn({"run", "study.yaml", "--store", store_url}, dir, env);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  auto store = OpenStore(store_url);
  ASSERT_TRUE(store.ok());
  auto study = (*store)->GetStudy("packed");
  ASSERT_TRUE(study.ok());
  auto trials = (*store)->ListTrials(study->id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 8u) << "7 of the budget and the out-of-memory re-run";

  const TrialRecord& first = (*trials)[0];
  EXPECT_EQ(first.attrs["packing"]["per_gpu"], 1) << first.attrs.dump();
  EXPECT_EQ(first.attrs["gpu_share"], 1.0);
  EXPECT_EQ(first.attrs["gpu_peak_memory_bytes"], 20480ull << 20);

  const TrialRecord& oom = (*trials)[2];
  EXPECT_EQ(oom.state, TrialState::kFailed);
  EXPECT_NE(oom.end_reason.find("GPU out of memory"), std::string::npos) << oom.end_reason;
  EXPECT_EQ(oom.attrs.value("gpu_out_of_memory", false), true);
  EXPECT_EQ(oom.attrs["packing"]["per_gpu"], 3) << oom.attrs.dump();

  int reruns = 0, packed_by_two = 0;
  for (const auto& t : *trials) {
    if (t.number == 2) continue;
    EXPECT_EQ(t.state, TrialState::kCompleted) << t.number << ": " << t.end_reason;
    if (t.attrs.value("rerun_of", -1) == 2) {
      ++reruns;
      EXPECT_EQ(t.attrs["gpu_share"], 1.0) << "the re-run has the GPU alone";
    } else if (t.attrs["packing"]["per_gpu"] == 2) {
      ++packed_by_two;  // launched after the out-of-memory death lowered the count
      EXPECT_DOUBLE_EQ(t.attrs["gpu_share"].get<double>(), 0.5);
    }
  }
  EXPECT_EQ(reruns, 1);
  EXPECT_GT(packed_by_two, 0);
  if (!HasFailure()) std::filesystem::remove_all(dir);
#endif
}

// More GPUs per trial than are visible: refused before anything runs, in the
// study file's words, and no store is left behind.
TEST(GpuPackingCli, MoreGpusPerTrialThanVisibleIsRefused) {
  auto dir = MakeTempDir("cairn-gpus");
  WriteFile(dir / "study.yaml",
            "name: two\n"
            "command: [\"/bin/true\"]\n"
            "space: {x: {type: float, low: 0.0, high: 1.0}}\n"
            "objective: {metric: score}\n"
            "resources: {gpus: 2}\n");
  auto run = RunCairn({"run", "study.yaml", "--store", "sqlite://" + (dir / "cairn.db").string()}, dir,
                      {{"CUDA_VISIBLE_DEVICES", "0"}});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("the study file's resources.gpus: 2 GPUs per trial but only 1 GPU(s) are available "
                         "(visible: 0; CUDA_VISIBLE_DEVICES chooses which)"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "cairn.db"));
}

}  // namespace
}  // namespace cairn::testing
