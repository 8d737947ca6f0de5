// Recovering after a coordinator died: only the trial's own process is
// killed, never another that took its pid since.
#include "cairn/study/recovery.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/paths.h"

namespace cairn::study_internal {
namespace {

// `sleep 30` with CAIRN_TRIAL_ID=`id` in its environment, leading its own
// process group as a trial does; its pid.
pid_t SleepAsTrial(const std::string& id, const std::string& dir = "") {
  std::string variable = "CAIRN_TRIAL_ID=" + id;
  std::string folder = "CAIRN_TRIAL_DIR=" + dir;
  char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
  char* envp[] = {variable.data(), dir.empty() ? nullptr : folder.data(), nullptr};
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sleep", nullptr, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return 0;
  // Until it has exec'd, the child's environment is still this process's.
  for (int i = 0; i < 200; ++i) {
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string first;
    if (std::getline(cmdline, first, '\0') && first == "sleep") break;
    usleep(10000);
  }
  return pid;
}

// A coordinator on this host is gone when its pid is, and when the pid now
// names a process that started after the coordinator did (a container
// restarted, its new `cairn run` is pid 1 again).
TEST(OwnerIsGone, APidTakenByALaterProcessIsGone) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  const double now = static_cast<double>(time(nullptr));
  TrialRecord trial;
  trial.heartbeat_at = now;
  auto owner = [&](const std::string& start) {
    return std::string(host) + ":" + std::to_string(getpid()) + (start.empty() ? "" : ":" + start);
  };
  trial.owner = owner(std::to_string(now));  // this very process, started before now
  EXPECT_FALSE(OwnerIsGone(trial, now));
  trial.owner = owner(std::to_string(now - 100000));  // a coordinator long before this process
  EXPECT_TRUE(OwnerIsGone(trial, now));
  trial.owner = owner("");  // an owner without its start: the pid alone decides
  EXPECT_FALSE(OwnerIsGone(trial, now));
  trial.owner = std::string(host) + ":999999999:" + std::to_string(now);  // no such process
  EXPECT_TRUE(OwnerIsGone(trial, now));
}

// The log is read in chunks as the executor reads its pipe: a report cut
// by a chunk's end, one after a line far too long to be a report, and a
// last line without a newline all count; what the store has is not added.
TEST(ReingestTrialLog, ReadsEveryReportTheStoreLacks) {
  auto dir = testing::MakeTempDir("cairn-reingest");
  auto store = OpenStore("sqlite://" + (dir / "s.db").string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto study = (*store)->CreateStudy(StudyRecord{.name = "s", .objective = "loss"});
  ASSERT_TRUE(study.ok());
  TrialRecord trial{.study_id = *study, .number = 0, .state = TrialState::kRunning};
  trial.attrs = {{"trial_dir", dir.string()}};
  auto id = (*store)->CreateTrial(trial);
  ASSERT_TRUE(id.ok());
  trial.id = *id;
  std::vector<MetricPoint> stored = {{*id, "loss", 1, 0.9, 1.0}};
  ASSERT_TRUE((*store)->AppendMetrics(stored).ok());
  std::string log = "epoch=1 loss=0.9\n" + std::string((1 << 16) - 30, 'x') + "\nepoch=2 loss=0.8\n" +
                    std::string(3 << 20, 'y') + "\nepoch=3 loss=0.7\nepoch=4 loss=0.6";
  testing::WriteFile(dir / "stdout.log", log);
  StudySpec spec;
  spec.step_key = "epoch";
  auto added = ReingestTrialLog(**store, spec, trial);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, 3);
  auto points = (*store)->ReadMetrics({*id, std::string("loss")});
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 4u);
  EXPECT_EQ((*points)[3].step, 4);
  EXPECT_DOUBLE_EQ((*points)[3].value, 0.6);

  // stderr.log is read too when the study parses it (parse_stderr), not otherwise.
  testing::WriteFile(dir / "stderr.log", "epoch=5 loss=0.5\n");
  ASSERT_EQ(ReingestTrialLog(**store, spec, trial).value_or(-1), 0);
  spec.executor_options = {{"name", "local"}, {"parse_stderr", true}};
  ASSERT_EQ(ReingestTrialLog(**store, spec, trial).value_or(-1), 1);
  std::filesystem::remove_all(dir);
}

TrialRecord Trial(int64_t id, const std::string& dir = "") {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  TrialRecord trial;
  trial.id = id;
  trial.owner = std::string(host) + ":1:0";
  if (!dir.empty()) trial.attrs["trial_dir"] = dir;
  return trial;
}

TEST(IsTrialProcess, OnlyAProcessWhoseEnvironmentNamesTheTrial) {
  const pid_t pid = SleepAsTrial("42");
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(IsTrialProcess(pid, Trial(42)));
  EXPECT_FALSE(IsTrialProcess(pid, Trial(4))) << "a prefix of the id is another trial";
  EXPECT_FALSE(IsTrialProcess(pid, Trial(420)));
  EXPECT_FALSE(IsTrialProcess(getpid(), Trial(42))) << "this test is no trial";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_FALSE(IsTrialProcess(pid, Trial(42))) << "a process that is gone";
}

// Trial ids of two stores can be equal; their trial folders cannot.
TEST(IsTrialProcess, AnotherStoresTrialWithTheSameIdIsNotIt) {
  const pid_t pid = SleepAsTrial("5", "/tmp/store-b/trials/s/0");
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(IsTrialProcess(pid, Trial(5, "/tmp/store-b/trials/s/0")));
  EXPECT_FALSE(IsTrialProcess(pid, Trial(5, "/tmp/store-a/trials/s/0")));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// A recorded pid now used by an unrelated process is left alone.
TEST(KillOrphan, LeavesAProcessThatReusedThePid) {
  const pid_t pid = SleepAsTrial("7");
  ASSERT_GT(pid, 0);
  TrialRecord trial = Trial(8);  // the record names trial 8; the process is trial 7's
  trial.attrs["pid"] = pid;
  EXPECT_FALSE(KillOrphan(trial));
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), 0) << "still running";
  trial.id = 7;
  EXPECT_TRUE(KillOrphan(trial)) << "it was running";
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

// A helper that left the trial's process group (setsid) goes with it.
TEST(KillOrphan, KillsWhatLeftTheGroup) {
  const pid_t helper = SleepAsTrial("9", "/tmp/cairn-orphan-test/9");
  ASSERT_GT(helper, 0);
  TrialRecord trial = Trial(9, "/tmp/cairn-orphan-test/9");
  trial.attrs["pid"] = 999999999;  // the main process is long gone
  EXPECT_FALSE(KillOrphan(trial));
  int status = 0;
  ASSERT_EQ(waitpid(helper, &status, 0), helper);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

}  // namespace
}  // namespace cairn::study_internal
