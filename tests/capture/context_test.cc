#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "cairn/capture.h"
#include "cairn/gpu.h"
#include "cairn/hash.h"
#include "capture/capture_test_util.h"
#include "support/paths.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

const Blob* FindBlob(const CapturedContext& ctx, const std::string& hash) {
  for (const Blob& b : ctx.blobs) {
    if (b.hash == hash) return &b;
  }
  return nullptr;
}

TEST(StudyContext, CodeHostAndVersion) {
  if (!internal::FindProgram("git")) GTEST_SKIP() << "git is not installed";
  auto dir = testing::MakeTempDir("cairn-study");
  testing::MustRun({"git", "init", "-q"}, dir.string());
  testing::WriteFile(dir / "train.py", "print(1)\n");
  testing::MustRun({"git", "add", "train.py"}, dir.string());
  testing::MustRun({"git", "commit", "-q", "-m", "x"}, dir.string());
  testing::WriteFile(dir / "train.py", "print(2)\n");

  Capturer capturer;
  CapturedContext ctx = capturer.CaptureStudy(dir);
  const auto& r = ctx.record;
  EXPECT_EQ(r["format"], kRecordFormat);
  EXPECT_FALSE(r["cairn_version"].get<std::string>().empty());
  EXPECT_TRUE(r["code"]["is_repo"].get<bool>());
  EXPECT_TRUE(r["code"]["dirty"].get<bool>());
  const Blob* diff = FindBlob(ctx, r["code"]["diff_blob"]);
  ASSERT_NE(diff, nullptr);
  EXPECT_EQ(diff->kind, "git_diff");
  EXPECT_NE(diff->body["diff"].get<std::string>().find("+print(2)"), std::string::npos);
  EXPECT_EQ(diff->body["sha256"], r["code"]["diff_sha256"]);
  const Blob* host = FindBlob(ctx, r["host"]);
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->kind, "host");
  EXPECT_EQ(host->hash, ContentHash(host->body));
  fs::remove_all(dir);
}

TEST(TrialContext, RecordReferencesBlobsAndRedacts) {
  auto dir = testing::MakeTempDir("cairn-trial");
  testing::WriteFile(dir / "data" / "x.bin", "0123456789");
  GpuProbe probe({.nvml_library = CAIRN_FAKE_NVML, .use_nvidia_smi = false});
  Capturer capturer({.fingerprint_cache_file = dir / "fingerprints.json", .gpu_probe = &probe});
  TrialCaptureRequest req{.argv = {"/bin/sh", "-c", "true"},
                          .env = {{"CAIRN_TRIAL_ID", "5"}, {"HF_TOKEN", "hf_secret"}},
                          .gpus = {"1", "GPU-unknown"},
                          .datasets = {dir / "data", dir / "absent"}};
  CapturedContext ctx = capturer.CaptureTrial(req);
  const auto& r = ctx.record;
  EXPECT_EQ(r["argv"], nlohmann::json(req.argv));
  EXPECT_EQ(r["env"]["HF_TOKEN"], "<redacted>");
  EXPECT_EQ(r["env"]["CAIRN_TRIAL_ID"], "5");
  EXPECT_TRUE(r["env"].contains("PATH"));  // the process's own environment too
  EXPECT_EQ(ctx.record.dump().find("hf_secret"), std::string::npos);
  const Blob* sw = FindBlob(ctx, r["software"]);
  ASSERT_NE(sw, nullptr);
  EXPECT_EQ(sw->kind, "software_env");
  EXPECT_TRUE(sw->body["python"].is_null());
  ASSERT_NE(FindBlob(ctx, r["host"]), nullptr);
  EXPECT_TRUE(r["container"].is_null());
  ASSERT_EQ(r["gpus"].size(), 2u);
  EXPECT_EQ(r["gpus"][0]["name"], "Fake H100 80GB HBM3");
  EXPECT_EQ(r["gpus"][0]["id"], "1");
  EXPECT_EQ(r["gpus"][1]["known"], false);
  ASSERT_EQ(r["datasets"].size(), 2u);
  EXPECT_EQ(r["datasets"][0]["kind"], "directory");
  EXPECT_EQ(r["datasets"][1]["kind"], "missing");
  EXPECT_TRUE(fs::exists(dir / "fingerprints.json"));  // cache persisted

  // Same environment, another trial: the same software blob, stored once.
  req.env["CAIRN_TRIAL_ID"] = "6";
  CapturedContext again = capturer.CaptureTrial(req);
  EXPECT_EQ(again.record["software"], r["software"]);
  EXPECT_EQ(again.record["datasets"][0]["sha256"], r["datasets"][0]["sha256"]);
  fs::remove_all(dir);
}

TEST(TrialContext, TheFilesTheCommandNamesAreHashed) {
  auto dir = testing::MakeTempDir("cairn-program-files");
  testing::WriteFile(dir / "train.py", "print('hi')\n");
  testing::WriteFile(dir / "run.sh", "exec python3 train.py\n");
  testing::WriteFile(dir / ".cairn" / "trials" / "1" / "last.pt", "weights");
  {
    std::ofstream big(dir / "big.bin", std::ios::binary);
  }
  fs::resize_file(dir / "big.bin", (16u << 20) + 1);  // sparse: over the hashing limit
  const std::vector<std::string> argv = {"python3",   "train.py", "--lr", "0.1", "--resume", ".cairn/trials/1/last.pt",
                                         "absent.py", "train.py", "big.bin", "/bin/sh"};
  nlohmann::json files = FingerprintProgramFiles(argv, dir);
  // python3 is a program on PATH, not the user's file; the flag values, the
  // missing file, the repeat, Cairn's own folder and a file outside the work
  // folder (/bin/sh) are skipped.
  ASSERT_EQ(files.size(), 2u) << files.dump();
  EXPECT_EQ(files[0]["path"], "train.py");
  EXPECT_EQ(files[0]["sha256"], Sha256Hex("print('hi')\n"));
  EXPECT_EQ(files[0]["bytes"], 12);
  EXPECT_EQ(files[1]["path"], "big.bin");
  EXPECT_TRUE(files[1]["sha256"].is_null()) << "over 16 MiB: size only";
  // A program given as a path is a file of the user's too; the trial
  // record carries the list.
  files = FingerprintProgramFiles({"./run.sh"}, dir);
  ASSERT_EQ(files.size(), 1u);
  // An interpreter given by its absolute path is no file of the user's.
  EXPECT_TRUE(FingerprintProgramFiles({"/bin/sh", "run.sh"}, dir)[0]["path"] == "run.sh");
  EXPECT_EQ(FingerprintProgramFiles({"/bin/sh", "run.sh"}, dir).size(), 1u);
  EXPECT_EQ(files[0]["sha256"], Sha256Hex("exec python3 train.py\n"));
  Capturer capturer({.fingerprint_cache_file = dir / "fingerprints.json"});
  CapturedContext ctx = capturer.CaptureTrial({.argv = {"python3", "train.py"}, .workdir = dir});
  ASSERT_EQ(ctx.record["program_files"].size(), 1u);
  EXPECT_EQ(ctx.record["program_files"][0]["path"], "train.py");
  fs::remove_all(dir);
}

// Reports (does not assert) what a trial start costs once caches are warm.
TEST(TrialContext, WarmCaptureIsCheap) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  auto dir = testing::MakeTempDir("cairn-warm");
  for (int i = 0; i < 200; ++i) {
    testing::WriteFile(dir / "data" / ("f" + std::to_string(i)), std::string(4096, 'x'));
  }
  GpuProbe probe({.nvml_library = CAIRN_FAKE_NVML, .use_nvidia_smi = false});
  Capturer capturer({.gpu_probe = &probe});
  TrialCaptureRequest req{.argv = {"/usr/bin/python3", "train.py", "--lr", "0.1"},
                          .env = {{"CAIRN_TRIAL_ID", "1"}},
                          .gpus = {"0"},
                          .datasets = {dir / "data"}};
  auto t0 = std::chrono::steady_clock::now();
  auto cold = capturer.CaptureTrial(req);
  auto t1 = std::chrono::steady_clock::now();
  const int kRuns = 20;
  for (int i = 0; i < kRuns; ++i) capturer.CaptureTrial(req);
  auto t2 = std::chrono::steady_clock::now();
  double cold_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  double warm_ms = std::chrono::duration<double, std::milli>(t2 - t1).count() / kRuns;
  std::printf("[ measure  ] trial context: cold %.1f ms, warm %.2f ms (200-file dataset)\n",
              cold_ms, warm_ms);
  auto stats = capturer.stats();
  EXPECT_EQ(stats.python_probes, 1);
  EXPECT_EQ(stats.dpkg_queries, 1);
  EXPECT_EQ(stats.fingerprints.files_hashed, 200);
  EXPECT_EQ(stats.fingerprints.cache_hits, 200 * kRuns);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cairn
