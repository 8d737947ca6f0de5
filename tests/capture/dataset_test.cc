#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "cairn/capture.h"
#include "cairn/hash.h"
#include "support/paths.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing::WriteFile;

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("cairn-data");
    WriteFile(dir_ / "data" / "train.csv", "a,b\n1,2\n");
    WriteFile(dir_ / "data" / "val" / "part-0.csv", "a,b\n3,4\n");
    WriteFile(dir_ / "data" / "val" / "part-1.csv", "a,b\n5,6\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Moves a file's mtime forward so a rewrite within the same clock tick is seen.
  void Touch(const fs::path& p, int seconds) {
    fs::last_write_time(p, fs::last_write_time(p) + std::chrono::seconds(seconds));
  }
  fs::path dir_;
};

TEST_F(DatasetTest, FolderFingerprintCachedAcrossCacheFiles) {
  const fs::path cache_file = dir_ / "fingerprints.json";
  std::string first;
  {
    FingerprintCache cache(cache_file);
    auto fp = FingerprintDataset(dir_ / "data", cache);
    EXPECT_EQ(fp["kind"], "directory");
    EXPECT_EQ(fp["files"], 3);
    EXPECT_EQ(fp["bytes"], 24);
    first = fp["sha256"];
    EXPECT_EQ(cache.stats().files_hashed, 3);
    EXPECT_EQ(cache.stats().cache_hits, 0);
    auto again = FingerprintDataset(dir_ / "data", cache);
    EXPECT_EQ(again["sha256"], first);
    EXPECT_EQ(cache.stats().files_hashed, 3);  // nothing reread
    EXPECT_EQ(cache.stats().cache_hits, 3);
    ASSERT_TRUE(cache.Save().ok());
  }
  FingerprintCache reloaded(cache_file);  // a later study
  auto fp = FingerprintDataset(dir_ / "data", reloaded);
  EXPECT_EQ(fp["sha256"], first);
  EXPECT_EQ(reloaded.stats().files_hashed, 0);
  EXPECT_EQ(reloaded.stats().cache_hits, 3);
}

TEST_F(DatasetTest, DriftChangesTheFingerprint) {
  FingerprintCache cache;
  std::string before = FingerprintDataset(dir_ / "data", cache)["sha256"];
  // Same size, new content: only the mtime tells the cache.
  WriteFile(dir_ / "data" / "val" / "part-1.csv", "a,b\n7,8\n");
  Touch(dir_ / "data" / "val" / "part-1.csv", 5);
  auto after = FingerprintDataset(dir_ / "data", cache);
  EXPECT_NE(after["sha256"], before);
  EXPECT_EQ(cache.stats().files_hashed, 4);  // only the changed file reread
  // A renamed file changes it too (relative paths are hashed).
  fs::rename(dir_ / "data" / "train.csv", dir_ / "data" / "train2.csv");
  EXPECT_NE(FingerprintDataset(dir_ / "data", cache)["sha256"], after["sha256"]);
}

TEST_F(DatasetTest, FileAndMissingPaths) {
  FingerprintCache cache;
  auto file = FingerprintDataset(dir_ / "data" / "train.csv", cache);
  EXPECT_EQ(file["kind"], "file");
  EXPECT_EQ(file["files"], 1);
  EXPECT_EQ(file["sha256"].get<std::string>().size(), 64u);
  // A file's own hash, as sha256sum prints it, beside the fingerprint.
  auto own = Sha256File(dir_ / "data" / "train.csv");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(file["file_sha256"], *own);
  EXPECT_NE(file["sha256"], *own) << "the fingerprint also hashes the name and size";
  EXPECT_FALSE(FingerprintDataset(dir_ / "data", cache).contains("file_sha256")) << "a folder has no single hash";
  auto missing = FingerprintDataset(dir_ / "nope", cache);
  EXPECT_EQ(missing["kind"], "missing");
  EXPECT_TRUE(missing["sha256"].is_null());
  // A FIFO (reading it would block) and a device (/dev/zero never ends)
  // are named, not read.
  ASSERT_EQ(mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  for (const auto& special : {dir_ / "fifo", std::filesystem::path("/dev/zero")}) {
    auto j = FingerprintDataset(special, cache);
    EXPECT_EQ(j["kind"], "special") << j;
    EXPECT_TRUE(j["sha256"].is_null()) << j;
    ASSERT_EQ(j["errors"].size(), 1u) << j;
  }
}

TEST_F(DatasetTest, CorruptCacheFileIsAnEmptyCache) {
  WriteFile(dir_ / "fp.json", "{not json");
  FingerprintCache cache(dir_ / "fp.json");
  auto fp = FingerprintDataset(dir_ / "data", cache);
  EXPECT_EQ(cache.stats().files_hashed, 3);
  ASSERT_TRUE(cache.Save().ok());
  auto saved = nlohmann::json::parse(testing::ReadFile(dir_ / "fp.json"));
  EXPECT_EQ(saved["version"], 1);
  EXPECT_EQ(saved["files"].size(), 3u);
}

TEST_F(DatasetTest, ArtifactsWithHashesAndLogsMarked) {
  fs::path trial = dir_ / "trial-0";
  WriteFile(trial / "stdout.log", "epoch=1 acc=0.5\n");
  WriteFile(trial / "stderr.log", "");
  WriteFile(trial / "ckpt" / "model.pt", "weights");
  auto list = ListArtifacts(trial);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["path"], "ckpt/model.pt");
  EXPECT_EQ(list[0]["size"], 7);
  EXPECT_EQ(list[0]["sha256"], Sha256Hex("weights"));
  EXPECT_EQ(list[0]["log"], false);
  EXPECT_EQ(list[1]["path"], "stderr.log");
  EXPECT_EQ(list[1]["log"], true);
  EXPECT_EQ(list[2]["path"], "stdout.log");
  EXPECT_EQ(list[2]["log"], true);
  EXPECT_TRUE(ListArtifacts(dir_ / "no-such-trial").empty());

  // The Slurm executor's own files are kept in the list, marked as Cairn's.
  WriteFile(trial / "slurm_job.sh", "#!/bin/sh\n");
  auto with_slurm = ListArtifacts(trial);
  ASSERT_EQ(with_slurm.size(), 4u);
  EXPECT_EQ(with_slurm[1]["path"], "slurm_job.sh");
  EXPECT_EQ(with_slurm[1].value("cairn", false), true);
  EXPECT_FALSE(with_slurm[0].contains("cairn"));
  std::filesystem::remove(trial / "slurm_job.sh");
  // So are a local trial's exit and stop records.
  WriteFile(trial / "cairn-exit.json", "{}");
  auto with_record = ListArtifacts(trial);
  ASSERT_EQ(with_record.size(), 4u);
  EXPECT_EQ(with_record[0]["path"], "cairn-exit.json");
  EXPECT_EQ(with_record[0].value("cairn", false), true);
  std::filesystem::remove(trial / "cairn-exit.json");
  // By exact name: a program's own files that start alike are what it made.
  WriteFile(trial / "cairn-best.pt", "w");
  WriteFile(trial / "slurm_notes.txt", "n");
  WriteFile(trial / "cairn-stop.json.tmp.4242", "{");
  for (const auto& a : ListArtifacts(trial)) {
    EXPECT_EQ(a.value("cairn", false), a["path"] == "cairn-stop.json.tmp.4242") << a.dump();
  }
  for (const char* f : {"cairn-best.pt", "slurm_notes.txt", "cairn-stop.json.tmp.4242"}) std::filesystem::remove(trial / f);

  FingerprintCache cache;
  ListArtifacts(trial, &cache);
  ListArtifacts(trial, &cache);
  EXPECT_EQ(cache.stats().files_hashed, 3);
  EXPECT_EQ(cache.stats().cache_hits, 3);
}

TEST_F(DatasetTest, ConcurrentLookupsAgree) {
  FingerprintCache cache;
  std::string expected = FingerprintDataset(dir_ / "data", cache)["sha256"];
  std::vector<std::thread> threads;
  std::vector<std::string> got(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { got[i] = FingerprintDataset(dir_ / "data", cache)["sha256"]; });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

}  // namespace
}  // namespace cairn
