// The pack script, run for real with /bin/sh on this machine (no Slurm: it
// needs none to start, stop and record its trials), and the pack's sbatch
// command line.
#include "cairn/slurm/pack_script.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cairn/slurm/job_script.h"
#include "cairn/trial.h"
#include "support/paths.h"

namespace cairn::slurm_internal {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class PackScriptTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("cairn-pack-script"); }
  void TearDown() override {
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // A trial running `sh_code` with /bin/sh, its job script written as
  // Launch writes it.
  LaunchRequest Trial(int64_t id, const std::string& dir_name, const std::string& sh_code, int gpus = 0) {
    LaunchRequest r;
    r.trial_id = id;
    r.number = static_cast<int>(id);
    r.trial_dir = dir_ / dir_name;
    r.workdir = dir_;
    r.grace_s = 1;
    r.argv = {"/bin/sh", "-c", sh_code};
    std::filesystem::create_directories(r.trial_dir);
    auto script = BuildJobScript(r, JobEnvironment(r, gpus));
    EXPECT_TRUE(script.ok()) << script.status().ToString();
    testing::WriteFile(r.trial_dir / "slurm_job.sh", *script);
    return r;
  }

  // Starts the pack script in a process group of its own (as slurmd does).
  void Start(const std::vector<LaunchRequest>& trials, int gpus_per_trial = 0,
             const std::string& cuda_visible_devices = "") {
    auto script = BuildPackScript(trials, gpus_per_trial);
    ASSERT_TRUE(script.ok()) << script.status().ToString();
    testing::WriteFile(dir_ / "pack.sh", *script);
    std::string path = (dir_ / "pack.sh").string(), log = (dir_ / "pack.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      setenv("CUDA_VISIBLE_DEVICES", cuda_visible_devices.c_str(), 1);
      FILE* out = freopen(log.c_str(), "a", stdout);
      FILE* err = freopen(log.c_str(), "a", stderr);
      (void)out;
      (void)err;
      execl("/bin/sh", "sh", path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  // The script's exit status, or -1 when it runs past `seconds`.
  int Wait(double seconds = 20) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "pack script still running: " << testing::ReadFile(dir_ / "pack.log");
    return -1;
  }
  static bool WaitForFile(const std::filesystem::path& path, double seconds = 10) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!std::filesystem::exists(path)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  static std::optional<int> Exit(const LaunchRequest& r) { return ReadExitFile(r.trial_dir / kExitFile); }
  // Until the trial's exit file holds its status: the shell creates the file
  // before it writes it, so its mere existence is not enough.
  static bool WaitForExit(const LaunchRequest& r, double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!Exit(r)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

TEST_F(PackScriptTest, RunsEveryTrialInItsOwnDirAndRecordsItsStatus) {
  // Paths that would be shell syntax if they were not quoted.
  auto a = Trial(1, "it's $(touch CANARY)", "echo epoch=1 from a; pwd; exit 0");
  auto b = Trial(2, "b\n#SBATCH --mem=1 `touch CANARY`", "echo epoch=1 from b; echo oops >&2; exit 3");
  Start({a, b});
  EXPECT_EQ(Wait(), 0) << testing::ReadFile(dir_ / "pack.log");
  EXPECT_EQ(Exit(a), 0);
  EXPECT_EQ(Exit(b), 3);
  EXPECT_EQ(testing::ReadFile(a.trial_dir / "stdout.log"), "epoch=1 from a\n" + dir_.string() + "\n");
  EXPECT_EQ(testing::ReadFile(b.trial_dir / "stdout.log"), "epoch=1 from b\n");
  EXPECT_EQ(testing::ReadFile(b.trial_dir / "stderr.log"), "oops\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "CANARY"));
  EXPECT_FALSE(std::filesystem::exists(a.trial_dir / "CANARY"));
}

TEST_F(PackScriptTest, StopFileStopsOneTrialAndLeavesTheOther) {
  auto stopped = Trial(1, "a", "sleep 30 & wait");  // a child in its group: stopped with it
  auto mate = Trial(2, "b", "sleep 2; echo done");
  Start({stopped, mate});
  ASSERT_TRUE(WaitForFile(stopped.trial_dir / kPidFile));
  testing::WriteFile(stopped.trial_dir / kStopFile, "stop\n");
  ASSERT_TRUE(WaitForExit(stopped, 5)) << "the stop file was not acted on";
  EXPECT_EQ(Exit(stopped), 128 + SIGTERM);
  EXPECT_FALSE(Exit(mate).has_value()) << "the pack-mate ended with it";
  EXPECT_EQ(Wait(), 0);
  EXPECT_EQ(Exit(mate), 0);
  EXPECT_EQ(testing::ReadFile(mate.trial_dir / "stdout.log"), "done\n");
}

TEST_F(PackScriptTest, ATrialThatIgnoresSigtermIsKilledAfterItsGrace) {
  // The trial says when it ignores SIGTERM: a stop before that would rightly
  // end it with SIGTERM (CI saw exit 143 when the pid file came first).
  std::filesystem::path ignoring = dir_ / "ignoring-sigterm";
  auto stubborn = Trial(1, "a", "trap '' TERM; : > '" + ignoring.string() + "'; while :; do sleep 0.1; done");
  Start({stubborn});
  ASSERT_TRUE(WaitForFile(stubborn.trial_dir / kPidFile));
  ASSERT_TRUE(WaitForFile(ignoring));
  auto start = std::chrono::steady_clock::now();
  testing::WriteFile(stubborn.trial_dir / kStopFile, "stop\n");
  EXPECT_EQ(Wait(), 0);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(Exit(stubborn), 128 + SIGKILL);
  EXPECT_GE(took, 1.0);  // grace_s = 1
  EXPECT_LT(took, 6.0);
}

TEST_F(PackScriptTest, ARequeuedPackRunsOnlyTheTrialsCairnHasNotRecorded) {
  auto done = Trial(1, "a", "echo ran again");
  auto stopped = Trial(2, "b", "echo ran although stopped");
  auto killed = Trial(3, "c", "echo epoch=2");  // its exit file is from the run the requeue killed
  testing::WriteFile(done.trial_dir / kExitFile, "0\n");
  testing::WriteFile(done.trial_dir / kDoneFile, "done\n");
  testing::WriteFile(stopped.trial_dir / kStopFile, "stop\n");
  testing::WriteFile(killed.trial_dir / kExitFile, "143\n");
  Start({done, stopped, killed});
  EXPECT_EQ(Wait(), 0);
  EXPECT_FALSE(std::filesystem::exists(done.trial_dir / "stdout.log"));
  EXPECT_FALSE(std::filesystem::exists(stopped.trial_dir / "stdout.log"));
  EXPECT_EQ(Exit(stopped), 143);
  EXPECT_EQ(Exit(killed), 0);
  EXPECT_EQ(testing::ReadFile(killed.trial_dir / "stdout.log"), "epoch=2\n");
}

TEST_F(PackScriptTest, SigtermToTheBatchShellReachesEveryTrial) {
  // Slurm's time-limit warning (--signal=B:TERM@grace) goes to the script only.
  std::string saves = "trap 'echo saved; exit 0' TERM; while :; do sleep 0.1; done";
  auto a = Trial(1, "a", saves);
  auto b = Trial(2, "b", saves);
  Start({a, b});
  ASSERT_TRUE(WaitForFile(a.trial_dir / kPidFile));
  ASSERT_TRUE(WaitForFile(b.trial_dir / kPidFile));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // their traps are set
  kill(pid_, SIGTERM);
  EXPECT_EQ(Wait(), 0);
  EXPECT_EQ(Exit(a), 0);
  EXPECT_EQ(Exit(b), 0);
  EXPECT_EQ(testing::ReadFile(a.trial_dir / "stdout.log"), "saved\n");
}

TEST_F(PackScriptTest, EachTrialGetsItsShareOfTheAllocationsGpus) {
  auto a = Trial(1, "a", "echo \"$CUDA_VISIBLE_DEVICES\"", 2);
  auto b = Trial(2, "b", "echo \"$CUDA_VISIBLE_DEVICES\"", 2);
  Start({a, b}, 2, "3,5,GPU-7,9");
  EXPECT_EQ(Wait(), 0);
  EXPECT_EQ(testing::ReadFile(a.trial_dir / "stdout.log"), "3,5\n");
  EXPECT_EQ(testing::ReadFile(b.trial_dir / "stdout.log"), "GPU-7,9\n");
}

TEST_F(PackScriptTest, CpuTrialsSeeNoGpu) {
  auto a = Trial(1, "a", "echo \"[$CUDA_VISIBLE_DEVICES]\"");
  Start({a}, 0, "0,1");
  EXPECT_EQ(Wait(), 0);
  EXPECT_EQ(testing::ReadFile(a.trial_dir / "stdout.log"), "[]\n");
}

TEST(PackSbatch, OneNodeKTimesTheTrialsResources) {
  SlurmExecutorOptions options;
  options.partition = "gpu";
  options.time_s = 7200;
  options.gpus_per_trial = 2;
  options.cpus_per_trial = 4;
  options.mem = "8G";
  options.sbatch_args = {"--constraint=a100"};
  options.study_name = "s";
  std::vector<LaunchRequest> trials(2);
  trials[0].number = 4;
  trials[0].trial_dir = "/shared/t/4";
  trials[0].workdir = "/shared/code";
  trials[0].grace_s = 30;
  trials[0].timeout_s = 600;
  trials[1] = trials[0];
  trials[1].number = 5;
  trials[1].trial_dir = "/shared/t/5";
  trials[1].timeout_s = 900;  // the longest: 900 + 30 grace + 120 slack, in minutes
  auto argv = BuildPackSbatchArgv(options, trials, "/shared/t/4/slurm_pack.sh");
  for (const char* want : {"--job-name=cairn-s-4+5", "--output=/shared/t/4/slurm_pack.log",
                           "--error=/shared/t/4/slurm_pack.log", "--open-mode=append", "--chdir=/shared/code",
                           "--requeue", "--signal=B:TERM@30", "--partition=gpu", "--time=0-00:18:00", "--nodes=1",
                           "--ntasks=2", "--cpus-per-task=4", "--gres=gpu:4", "--mem=16G", "--constraint=a100"}) {
    EXPECT_THAT(argv, Contains(std::string(want)));
  }
  EXPECT_EQ(argv.back(), "/shared/t/4/slurm_pack.sh");
  trials[1].timeout_s.reset();  // no own limit: the study's 2 h
  EXPECT_THAT(BuildPackSbatchArgv(options, trials, "x"), Contains(std::string("--time=0-02:00:00")));
  options.time_s.reset();
  options.gpus_per_trial = 0;
  argv = BuildPackSbatchArgv(options, trials, "x");
  EXPECT_THAT(argv, Not(Contains(HasSubstr("--time="))));
  EXPECT_THAT(argv, Not(Contains(HasSubstr("--gres"))));
}

TEST(PackSbatch, ScaleMem) {
  EXPECT_EQ(ScaleMem("8G", 2), "16G");
  EXPECT_EQ(ScaleMem("500m", 3), "1500m");
  EXPECT_EQ(ScaleMem("2048", 4), "8192");
  EXPECT_EQ(ScaleMem("lots", 2), "lots");
}

TEST(PackExit, ReadsOnlyAFinishedStatus) {
  auto dir = testing::MakeTempDir("cairn-pack-exit");
  EXPECT_FALSE(ReadExitFile(dir / "none").has_value());
  testing::WriteFile(dir / "e", "");
  EXPECT_FALSE(ReadExitFile(dir / "e").has_value());
  testing::WriteFile(dir / "e", "14");  // the newline is not there yet
  EXPECT_FALSE(ReadExitFile(dir / "e").has_value());
  testing::WriteFile(dir / "e", "143\n");
  EXPECT_EQ(ReadExitFile(dir / "e"), 143);
  testing::WriteFile(dir / "e", "x\n");
  EXPECT_FALSE(ReadExitFile(dir / "e").has_value());
  std::filesystem::remove_all(dir);
}

TEST(PackExit, StatusToExitEvent) {
  auto e = PackedTrialEnd(3, 0, false, "Slurm job 8, slot 1 of 2", 1.0);
  EXPECT_EQ(e.kind, ExitKind::kExited);
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_EQ(e.message, "exit 0 (Slurm job 8, slot 1 of 2)");
  e = PackedTrialEnd(3, 2, false, "w", 1.0);
  EXPECT_EQ(e.exit_code, 2);
  e = PackedTrialEnd(3, 128 + SIGSEGV, false, "w", 1.0);
  EXPECT_EQ(e.kind, ExitKind::kSignaled);
  EXPECT_EQ(e.signal, SIGSEGV);
  EXPECT_EQ(PackedTrialEnd(3, 143, true, "w", 1.0).kind, ExitKind::kStopped);
  EXPECT_EQ(PackedTrialEnd(3, 0, true, "w", 1.0).kind, ExitKind::kStopped);
}

// The files the Slurm engine keeps in a trial's folder are Cairn's, not
// artifacts: the list in IsCairnTrialFile names each of them.
TEST(SlurmTrialFiles, AreAllKnownAsCairns) {
  for (const char* name : {kStopFile, kExitFile, kPidFile, kDoneFile, kJobRecord, kPackScript, kPackLog, "slurm_job.sh"}) {
    EXPECT_TRUE(IsCairnTrialFile(name)) << name;
  }
  EXPECT_TRUE(IsCairnTrialFile(kExitRecordFile));
}

}  // namespace
}  // namespace cairn::slurm_internal
