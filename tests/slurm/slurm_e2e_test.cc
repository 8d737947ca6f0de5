// End to end on a real cluster: `cairn run` of a small digits study with
// `executor: slurm`, then `cairn status`. Runs only under
// scripts/with-slurm.sh, with the `cairn` binary built beside this test.
#include <gtest/gtest.h>

#include "cli/cli_runner.h"

namespace cairn::testing {
namespace {

std::string Study() {
  std::string train = (SourceDir() / "examples" / "digits" / "train.py").string();
  return "name: slurm-digits\n"
         "command: [\"/usr/bin/python3\", \"" + train + "\", \"--lr\", \"{lr}\", \"--width\", \"{width}\",\n"
         "          \"--epochs\", \"3\", \"--seed\", \"1\"]\n"
         "env: {OMP_NUM_THREADS: \"1\"}\n"
         "space:\n"
         "  lr:    {type: float, low: 0.001, high: 0.1, log: true}\n"
         "  width: {type: int, low: 16, high: 64, step: 16}\n"
         "objective: {metric: val_acc, direction: maximize, step: epoch}\n"
         "budget: {trials: 2, parallel: 2, max_steps: 3}\n"
         "sampler: {name: random, seed: 1}\n"
         "executor: {name: slurm, poll_interval: 0.5, time: 10}\n";
}

TEST(E2ESlurm, CairnRunOnTheCluster) {
  if (std::getenv("SLURM_CONF") == nullptr) GTEST_SKIP() << "no Slurm cluster: run under scripts/with-slurm.sh";
  if (!std::filesystem::exists(CairnBinary())) GTEST_SKIP() << "build the cairn_cli target first";
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is missing";
  auto dir = MakeTempDir("cairn-slurm-e2e");
  WriteFile(dir / "study.yaml", Study());
  std::string store = "sqlite://" + (dir / "cairn.db").string();

  auto run = RunCairn({"run", (dir / "study.yaml").string(), "--store", store, "--json"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.Json()["completed"], 2) << run.out;

  auto status = RunCairn({"status", "slurm-digits", "--store", store, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto trials = status.Json()["trials"];
  ASSERT_EQ(trials.size(), 2u) << status.out;
  for (const auto& t : trials) {
    SCOPED_TRACE(t.dump());
    EXPECT_EQ(t["state"], "completed");
    EXPECT_EQ(t["steps"], 3);
    EXPECT_GT(t["value"].get<double>(), 0.1);  // better than chance on 10 classes
  }
  // Each trial ran as a batch job from a script in its trial dir.
  int scripts = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / ".cairn")) {
    if (entry.path().filename() == "slurm_job.sh") ++scripts;
  }
  EXPECT_EQ(scripts, 2);
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::testing
