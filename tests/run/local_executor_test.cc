// LocalExecutor with real child processes (/bin/sh and python3 as trial
// programs). Timeouts are fractions of a second; no assertion is on timing,
// only a generous cap so that a bug fails instead of hanging.
#include "cairn/local_executor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "support/paths.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  std::vector<ReportEvent> reports;
  std::optional<ExitEvent> exit;
};

class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("cairn-run-test"); }
  void TearDown() override {
    exec_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  LocalExecutor& Exec(LocalExecutorOptions options = {}) {
    if (!exec_) exec_ = MakeLocalExecutor(options, RealClock::Default());
    return *exec_;
  }

  LaunchRequest Shell(int64_t id, const std::string& script) {
    LaunchRequest r;
    r.trial_id = id;
    r.number = static_cast<int>(id);
    r.argv = {"/bin/sh", "-c", script};
    r.workdir = dir_;
    r.trial_dir = dir_ / ("trial-" + std::to_string(id));
    r.grace_s = 0.2;
    return r;
  }

  void Record(const ExecutorEvent& event) {
    if (auto* report = std::get_if<ReportEvent>(&event)) {
      Outcome& o = outcomes_[report->trial_id];
      EXPECT_FALSE(o.exit.has_value()) << "report after exit of trial " << report->trial_id;
      o.reports.push_back(*report);
    } else {
      const ExitEvent& exit = std::get<ExitEvent>(event);
      Outcome& o = outcomes_[exit.trial_id];
      EXPECT_FALSE(o.exit.has_value()) << "second exit of trial " << exit.trial_id;
      o.exit = exit;
    }
  }

  // Polls until nothing runs (or a cap of 20 s, which fails the test).
  void Drain() {
    double end = RealClock::Default()->Now() + 20.0;
    while (exec_->Running() > 0) {
      ASSERT_LT(RealClock::Default()->Now(), end) << "trials did not end";
      for (const auto& e : exec_->Poll(0.5)) Record(e);
    }
  }

  // Polls until trial `id` has reported `count` times.
  void WaitForReports(int64_t id, size_t count) {
    double end = RealClock::Default()->Now() + 20.0;
    while (outcomes_[id].reports.size() < count) {
      ASSERT_LT(RealClock::Default()->Now(), end) << "no report from trial " << id;
      for (const auto& e : exec_->Poll(0.5)) Record(e);
    }
  }

  const ExitEvent& ExitOf(int64_t id) {
    static const ExitEvent kNone{.message = "no exit event"};
    const auto& o = outcomes_[id];
    EXPECT_TRUE(o.exit.has_value()) << "trial " << id;
    return o.exit ? *o.exit : kNone;
  }

  std::string Log(int64_t id, const char* name) {
    return testing::ReadFile(dir_ / ("trial-" + std::to_string(id)) / name);
  }

  fs::path dir_;
  std::unique_ptr<LocalExecutor> exec_;
  std::map<int64_t, Outcome> outcomes_;
};

// True when `pid` no longer runs (gone, or a zombie waiting for init).
bool IsDead(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  size_t paren = text.rfind(')');
  return paren == std::string::npos || text.substr(paren + 2, 1) == "Z";
}

// A SIGKILLed process closes its files before it becomes a zombie; wait for
// that (up to a cap that only a live process reaches).
bool EventuallyDead(pid_t pid) {
  double end = RealClock::Default()->Now() + 10.0;
  while (!IsDead(pid) && RealClock::Default()->Now() < end) usleep(5000);
  return IsDead(pid);
}

TEST_F(LocalExecutorTest, ReportsKeyValueAndJsonThenExits) {
  ASSERT_TRUE(Exec().Launch(Shell(1, R"(
    echo "epoch=1 val_acc=0.5 loss=0.9"
    echo "just a log line"
    echo '{"epoch": 2, "val_acc": 0.75, "note": "x"}'
    echo "to stderr epoch=9 x=1" >&2
    exit 0)")).ok());
  EXPECT_EQ(Exec().Running(), 1);
  Drain();
  const auto& reports = outcomes_[1].reports;
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].step, 1);
  EXPECT_DOUBLE_EQ(reports[0].metrics.at("val_acc"), 0.5);
  EXPECT_DOUBLE_EQ(reports[0].metrics.at("loss"), 0.9);
  EXPECT_EQ(reports[1].step, 2);
  EXPECT_EQ(reports[1].metrics.size(), 1u);
  EXPECT_GT(reports[0].time, 0.0);
  const ExitEvent& exit = ExitOf(1);
  EXPECT_EQ(exit.kind, ExitKind::kExited);
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.message, "exit 0");
  EXPECT_EQ(Exec().Running(), 0);
  EXPECT_EQ(Log(1, "stdout.log"),
            "epoch=1 val_acc=0.5 loss=0.9\njust a log line\n"
            "{\"epoch\": 2, \"val_acc\": 0.75, \"note\": \"x\"}\n");
  EXPECT_EQ(Log(1, "stderr.log"), "to stderr epoch=9 x=1\n");
}

TEST_F(LocalExecutorTest, StderrReportsWhenAskedFor) {
  Exec({.parse_stderr = true});
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo 'epoch=4 x=2' >&2")).ok());
  Drain();
  ASSERT_EQ(outcomes_[1].reports.size(), 1u);
  EXPECT_EQ(outcomes_[1].reports[0].step, 4);
}

TEST_F(LocalExecutorTest, Re2PatternForFairseqLines) {
  Exec({.patterns = {R"(\| end of epoch (?P<epoch>\d+) .*\| valid loss (?P<valid_loss>\S+) \|)"}});
  ASSERT_TRUE(Exec().Launch(Shell(1, R"(
    echo "| epoch 003:    100 / 200 loss=5.6"
    echo "| end of epoch 3 | loss 5.4 | nll_loss 5.3 | valid loss 5.12 | ppl 34.7 |")")).ok());
  Drain();
  const auto& reports = outcomes_[1].reports;
  ASSERT_EQ(reports.size(), 2u);  // the progress line has loss=5.6 as key=value
  EXPECT_FALSE(reports[0].step.has_value());
  EXPECT_DOUBLE_EQ(reports[0].metrics.at("loss"), 5.6);
  EXPECT_EQ(reports[1].step, 3);
  EXPECT_DOUBLE_EQ(reports[1].metrics.at("valid_loss"), 5.12);
}

TEST_F(LocalExecutorTest, CrashIsSignaled) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo epoch=1 a=1; kill -SEGV $$")).ok());
  Drain();
  const ExitEvent& exit = ExitOf(1);
  EXPECT_EQ(exit.kind, ExitKind::kSignaled);
  EXPECT_EQ(exit.signal, SIGSEGV);
  EXPECT_FALSE(exit.exit_code.has_value());
  EXPECT_EQ(exit.message, "killed by SIGSEGV");
  EXPECT_EQ(outcomes_[1].reports.size(), 1u);
}

TEST_F(LocalExecutorTest, NonZeroExitCode) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "exit 3")).ok());
  Drain();
  EXPECT_EQ(ExitOf(1).kind, ExitKind::kExited);
  EXPECT_EQ(ExitOf(1).exit_code, 3);
  EXPECT_EQ(ExitOf(1).message, "exit 3");
}

TEST_F(LocalExecutorTest, HangTimesOut) {
  LaunchRequest r = Shell(1, "echo epoch=1 a=1; sleep 30");
  r.timeout_s = 0.3;
  ASSERT_TRUE(Exec().Launch(r).ok());
  Drain();
  const ExitEvent& exit = ExitOf(1);
  EXPECT_EQ(exit.kind, ExitKind::kTimedOut);
  EXPECT_EQ(exit.signal, SIGTERM);
  EXPECT_NE(exit.message.find("timed out"), std::string::npos) << exit.message;
  EXPECT_EQ(outcomes_[1].reports.size(), 1u);
}

// The caller was held up (a store that did not answer) past a trial's
// timeout while the program finished on time: it exited 0, not timed out.
TEST_F(LocalExecutorTest, AProgramThatEndedBeforeAnyoneLookedDidNotTimeOut) {
  LaunchRequest r = Shell(1, "echo epoch=1 a=1");
  r.timeout_s = 0.3;
  ASSERT_TRUE(Exec().Launch(r).ok());
  usleep(600 * 1000);  // no Poll: past the timeout, the program long gone
  Drain();
  const ExitEvent& exit = ExitOf(1);
  EXPECT_EQ(exit.kind, ExitKind::kExited) << exit.message;
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(outcomes_[1].reports.size(), 1u);
}

// The caller stops polling and goes away (it gave up on its store): what
// the program printed is in its log, for a resume to re-read.
TEST_F(LocalExecutorTest, OutputNobodyReadIsLoggedWhenTheExecutorGoes) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo epoch=1 a=1; echo epoch=2 a=2; echo bye >&2")).ok());
  ASSERT_TRUE(Exec().Launch(Shell(2, "echo epoch=1 b=1; sleep 30")).ok());
  usleep(500 * 1000);  // no Poll
  exec_.reset();
  auto read = [&](const std::string& path) {
    std::ifstream in(dir_ / path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read("trial-1/stdout.log"), "epoch=1 a=1\nepoch=2 a=2\n");
  EXPECT_EQ(read("trial-1/stderr.log"), "bye\n");
  EXPECT_EQ(read("trial-2/stdout.log"), "epoch=1 b=1\n");
}

// Each reaped trial leaves its exit beside its logs, for a coordinator that
// could not record it: the one that ended while nobody polled too; the one
// the executor killed on its way out has none (it did not end by itself).
TEST_F(LocalExecutorTest, AnEndedTrialLeavesItsExitRecord) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo epoch=1 a=1; exit 3")).ok());
  Drain();
  auto polled = ReadExitRecord(dir_ / "trial-1", 1);
  ASSERT_TRUE(polled.has_value());
  EXPECT_EQ(polled->kind, ExitKind::kExited);
  EXPECT_EQ(polled->exit_code, 3);
  EXPECT_EQ(polled->message, "exit 3");
  EXPECT_NEAR(polled->time, RealClock::Default()->WallTime(), 60.0) << "wall-clock seconds";
  EXPECT_FALSE(ReadExitRecord(dir_ / "trial-1", 2).has_value()) << "another trial's record";

  ASSERT_TRUE(Exec().Launch(Shell(2, "echo epoch=1 a=1")).ok());
  ASSERT_TRUE(Exec().Launch(Shell(3, "sleep 30")).ok());
  usleep(500 * 1000);  // no Poll: trial 2 ends unseen
  exec_.reset();
  auto unseen = ReadExitRecord(dir_ / "trial-2", 2);
  ASSERT_TRUE(unseen.has_value());
  EXPECT_EQ(unseen->kind, ExitKind::kExited);
  EXPECT_EQ(unseen->exit_code, 0);
  EXPECT_FALSE(ReadExitRecord(dir_ / "trial-3", 3).has_value());
}

// A caller held up elsewhere reaps ended trials while it waits: their ends
// carry when they were seen, not when the caller got to them.
// And what it printed, still in the pipes, is read: held up past the drain
// window, the pipes were once closed unread.
TEST_F(LocalExecutorTest, AnEndReapedWhileTheCallerWaitedKeepsItsTime) {
  LocalExecutorOptions options;
  options.drain_s = 0.2;
  ASSERT_TRUE(Exec(options).Launch(Shell(1, "echo epoch=1 a=1; echo epoch=2 a=2")).ok());
  usleep(300 * 1000);
  Exec().KeepUp();
  const double reaped = RealClock::Default()->Now();
  EXPECT_TRUE(ReadExitRecord(dir_ / "trial-1", 1).has_value()) << "written at the reap";
  usleep(700 * 1000);  // held up past the drain window
  Drain();
  EXPECT_EQ(outcomes_[1].reports.size(), 2u);
  EXPECT_EQ(Log(1, "stdout.log"), "epoch=1 a=1\nepoch=2 a=2\n");
  EXPECT_EQ(ExitOf(1).exit_code, 0);
  EXPECT_LE(ExitOf(1).time, reaped);
  EXPECT_GT(ExitOf(1).time, reaped - 0.5);
}

// A chatty trial goes on while the caller waits elsewhere: its output is
// read, so it does not block on a full pipe (64 KB) until the caller
// polls, and its reports carry when they were read.
TEST_F(LocalExecutorTest, AChattyTrialGoesOnWhileTheCallerWaits) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "for i in $(seq 1 20000); do echo \"epoch=$i a=$i\"; done")).ok());
  const double start = RealClock::Default()->Now();
  while (!ReadExitRecord(dir_ / "trial-1", 1) && RealClock::Default()->Now() < start + 20) {
    usleep(50 * 1000);
    Exec().KeepUp();
  }
  const double ended = RealClock::Default()->Now();
  ASSERT_TRUE(ReadExitRecord(dir_ / "trial-1", 1).has_value()) << "it ended while the caller waited";
  Drain();
  ASSERT_EQ(outcomes_[1].reports.size(), 20000u);
  EXPECT_EQ(outcomes_[1].reports.back().metrics.at("a"), 20000);
  EXPECT_LE(outcomes_[1].reports.back().time, ended) << "read while the caller waited";
  EXPECT_EQ(ExitOf(1).exit_code, 0);
}

// A timeout holds while the caller waits elsewhere: it once ran "for 21 s"
// with a 4 s timeout during a store outage.
TEST_F(LocalExecutorTest, ATimeoutHoldsWhileTheCallerWaits) {
  LaunchRequest r = Shell(1, "sleep 30");
  r.timeout_s = 0.3;
  ASSERT_TRUE(Exec().Launch(r).ok());
  usleep(500 * 1000);
  Exec().KeepUp();  // past the timeout: SIGTERM
  usleep(300 * 1000);
  Exec().KeepUp();  // ended by it
  const double reaped = RealClock::Default()->Now();
  usleep(500 * 1000);
  Drain();
  EXPECT_EQ(ExitOf(1).kind, ExitKind::kTimedOut) << ExitOf(1).message;
  EXPECT_LE(ExitOf(1).time, reaped);
}

// A trial dir used again starts without the earlier run's record.
TEST_F(LocalExecutorTest, ALaunchClearsAnEarlierExitRecord) {
  fs::create_directories(dir_ / "trial-1");
  ASSERT_TRUE(WriteExitRecord(dir_ / "trial-1", {.trial_id = 1, .exit_code = 0, .message = "exit 0", .time = 1}).ok());
  ASSERT_TRUE(Exec().Launch(Shell(1, "sleep 30")).ok());
  EXPECT_FALSE(ReadExitRecord(dir_ / "trial-1", 1).has_value());
}

TEST(ExitRecordTest, ABrokenRecordReadsAsNone) {
  fs::path dir = testing::MakeTempDir("cairn-exit-record");
  for (const char* text : {"", "{", "[]", "{\"trial_id\": 1, \"kind\": \"exploded\", \"time\": 1}",
                           "{\"trial_id\": \"1\", \"kind\": \"exited\", \"time\": 1}",
                           "{\"trial_id\": 1, \"kind\": \"exited\"}"}) {
    std::ofstream(dir / kExitRecordFile) << text;
    EXPECT_FALSE(ReadExitRecord(dir, 1).has_value()) << text;
  }
  std::ofstream(dir / kExitRecordFile)
      << R"({"trial_id": 1, "kind": "signaled", "signal": 9, "time": 5.5, "message": "\u001b[31mred"})";
  auto ok = ReadExitRecord(dir, 1);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->message, "?[31mred") << "no escape sequences for a terminal";
  EXPECT_EQ(ok->kind, ExitKind::kSignaled);
  EXPECT_EQ(ok->signal, 9);
  EXPECT_DOUBLE_EQ(ok->time, 5.5);
  fs::remove_all(dir);
}

TEST_F(LocalExecutorTest, IgnoringSigtermGetsKilledAfterGrace) {
  ASSERT_TRUE(Exec().Launch(Shell(1, R"(
    trap '' TERM
    echo "epoch=1 ready=1"
    while :; do sleep 0.05; done)")).ok());
  WaitForReports(1, 1);
  Exec().Stop(1);
  Exec().Stop(1);  // a second Stop changes nothing
  Drain();
  const ExitEvent& exit = ExitOf(1);
  EXPECT_EQ(exit.kind, ExitKind::kStopped);
  EXPECT_EQ(exit.signal, SIGKILL);
  EXPECT_EQ(exit.message, "stopped (killed by SIGKILL)");
}

// Kill (a second Ctrl-C) does not wait out the grace period, after a Stop
// or without one; the trial still ends as stopped.
TEST_F(LocalExecutorTest, KillEndsATrialThatIgnoresSigtermWithoutGrace) {
  for (int64_t id : {1, 2}) {
    LaunchRequest r = Shell(id, R"(
      trap '' TERM
      echo "epoch=1 ready=1"
      while :; do sleep 0.05; done)");
    r.grace_s = 3600;  // a Drain that waited for it would time the test out
    ASSERT_TRUE(Exec().Launch(r).ok());
  }
  WaitForReports(1, 1);
  WaitForReports(2, 1);
  Exec().Stop(1);
  Exec().Kill(1);
  Exec().Kill(2);
  Exec().Kill(99);  // unknown: no-op
  Drain();
  for (int64_t id : {1, 2}) {
    EXPECT_EQ(ExitOf(id).kind, ExitKind::kStopped) << id;
    EXPECT_EQ(ExitOf(id).signal, SIGKILL) << id;
  }
}

TEST_F(LocalExecutorTest, GrandchildHoldingThePipeIsKilled) {
  // The background sleep inherits stdout; without killing the group the
  // pipe would stay open for 30 s.
  ASSERT_TRUE(Exec().Launch(Shell(1, "sleep 30 & echo \"epoch=1 child=$!\"; exit 0")).ok());
  Drain();
  EXPECT_EQ(ExitOf(1).kind, ExitKind::kExited);
  EXPECT_EQ(ExitOf(1).exit_code, 0);
  ASSERT_EQ(outcomes_[1].reports.size(), 1u);
  auto child = static_cast<pid_t>(outcomes_[1].reports[0].metrics.at("child"));
  EXPECT_TRUE(EventuallyDead(child)) << "grandchild " << child << " still runs";
}

// A descendant that left the trial's process group (setsid) is not reached
// by killing the group; it carries the trial's environment and ends with the
// trial. One whose environment names another trial folder is not the trial's.
TEST_F(LocalExecutorTest, ADetachedDescendantEndsWithItsTrial) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "setsid sleep 30 </dev/null >/dev/null 2>&1 & echo detached=$!; "
                                     "CAIRN_TRIAL_DIR=/elsewhere setsid sleep 30 </dev/null >/dev/null 2>&1 & "
                                     "echo other=$!; sleep 0.3; exit 0"))
                  .ok());
  Drain();
  ASSERT_EQ(outcomes_[1].reports.size(), 2u);
  auto detached = static_cast<pid_t>(outcomes_[1].reports[0].metrics.at("detached"));
  auto other = static_cast<pid_t>(outcomes_[1].reports[1].metrics.at("other"));
  EXPECT_EQ(ExitOf(1).exit_code, 0);
  EXPECT_TRUE(EventuallyDead(detached)) << "the detached sleep " << detached << " still runs";
  EXPECT_FALSE(IsDead(other)) << "a process of another trial folder was killed";
  kill(other, SIGKILL);
}

TEST_F(LocalExecutorTest, GarbageOutputIsSurvived) {
  ASSERT_TRUE(Exec().Launch(Shell(1, R"(
    printf '\000\377\376 epoch=\001 \303\050 loss=\n'
    head -c 2000000 /dev/zero | tr '\000' 'a'
    echo " loss=1"
    head -c 300000 /dev/urandom | tr -d '\n='
    echo
    echo "epoch=7 ok=1")")).ok());
  Drain();
  EXPECT_EQ(ExitOf(1).kind, ExitKind::kExited);
  const auto& reports = outcomes_[1].reports;
  ASSERT_EQ(reports.size(), 1u);  // the 2 MB line is never a report
  EXPECT_EQ(reports[0].step, 7);
  EXPECT_DOUBLE_EQ(reports[0].metrics.at("ok"), 1.0);
  EXPECT_GT(Log(1, "stdout.log").size(), 2000000u);
}

TEST_F(LocalExecutorTest, NanAndInfAreReportedAsSuch) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo 'epoch=1 loss=nan grad=inf low=-inf'")).ok());
  Drain();
  ASSERT_EQ(outcomes_[1].reports.size(), 1u);
  const auto& m = outcomes_[1].reports[0].metrics;
  EXPECT_TRUE(std::isnan(m.at("loss")));
  EXPECT_EQ(m.at("grad"), INFINITY);
  EXPECT_EQ(m.at("low"), -INFINITY);
}

TEST_F(LocalExecutorTest, MissingProgramFailsToLaunch) {
  LaunchRequest by_path = Shell(1, "");
  by_path.argv = {"/nonexistent/cairn-prog", "--x"};
  LaunchRequest by_name = Shell(2, "");
  by_name.argv = {"cairn-no-such-program"};
  LaunchRequest bad_dir = Shell(3, "true");
  bad_dir.workdir = dir_ / "missing";
  ASSERT_TRUE(Exec().Launch(by_path).ok());
  ASSERT_TRUE(Exec().Launch(by_name).ok());
  ASSERT_TRUE(Exec().Launch(bad_dir).ok());
  EXPECT_EQ(Exec().Running(), 3);
  Drain();
  EXPECT_EQ(ExitOf(1).kind, ExitKind::kLaunchFailed);
  EXPECT_EQ(ExitOf(1).message, "cannot execute /nonexistent/cairn-prog: No such file or directory");
  EXPECT_EQ(ExitOf(2).kind, ExitKind::kLaunchFailed);
  EXPECT_EQ(ExitOf(2).message, "cannot execute cairn-no-such-program: No such file or directory");
  EXPECT_EQ(ExitOf(3).kind, ExitKind::kLaunchFailed);
  EXPECT_NE(ExitOf(3).message.find("cannot enter workdir"), std::string::npos) << ExitOf(3).message;
  EXPECT_NE(Log(1, "stderr.log").find("cannot execute"), std::string::npos);
}

TEST_F(LocalExecutorTest, ProgramFoundOnPathWithoutShell) {
  LaunchRequest r = Shell(1, "");
  // A ';' that a shell would split: here it is one plain argument.
  r.argv = {"echo", "epoch=1", "a=2;", "b=3"};
  ASSERT_TRUE(Exec().Launch(r).ok());
  Drain();
  EXPECT_EQ(ExitOf(1).exit_code, 0);
  EXPECT_EQ(Log(1, "stdout.log"), "epoch=1 a=2; b=3\n");
}

TEST_F(LocalExecutorTest, TwentyConcurrentTrials) {
  for (int64_t id = 1; id <= 20; ++id) {
    ASSERT_TRUE(Exec().Launch(Shell(id, R"(
      for e in 1 2 3; do echo "epoch=$e n=$CAIRN_TRIAL_NUMBER"; sleep 0.01; done)")).ok());
  }
  EXPECT_EQ(Exec().Running(), 20);
  Drain();
  ASSERT_EQ(outcomes_.size(), 20u);
  for (const auto& [id, o] : outcomes_) {
    EXPECT_EQ(ExitOf(id).exit_code, 0) << id;
    ASSERT_EQ(o.reports.size(), 3u) << id;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(o.reports[i].step, static_cast<int64_t>(i + 1)) << id;
      EXPECT_EQ(o.reports[i].metrics.at("n"), static_cast<double>(id));
    }
  }
}

TEST_F(LocalExecutorTest, StopMidRun) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo epoch=1 a=1; sleep 30; echo epoch=2 a=2")).ok());
  WaitForReports(1, 1);
  std::optional<int> pid = Exec().Pid(1);
  ASSERT_TRUE(pid.has_value());
  EXPECT_EQ(getpgid(*pid), *pid);  // its own process group
  EXPECT_FALSE(Exec().Pid(99).has_value());
  Exec().Stop(1);
  Exec().Stop(99);  // unknown: no-op
  Drain();
  EXPECT_EQ(ExitOf(1).kind, ExitKind::kStopped);
  EXPECT_EQ(ExitOf(1).signal, SIGTERM);
  EXPECT_EQ(outcomes_[1].reports.size(), 1u);
  EXPECT_FALSE(Exec().Pid(1).has_value());
}

TEST_F(LocalExecutorTest, StopAllStopsEveryTrial) {
  for (int64_t id = 1; id <= 3; ++id) ASSERT_TRUE(Exec().Launch(Shell(id, "sleep 30")).ok());
  Exec().StopAll();
  Drain();
  for (int64_t id = 1; id <= 3; ++id) EXPECT_EQ(ExitOf(id).kind, ExitKind::kStopped) << id;
}

TEST_F(LocalExecutorTest, EnvironmentAndWorkdir) {
  setenv("CAIRN_TEST_PARENT_VAR", "from-parent", 1);
  LaunchRequest r = Shell(7, R"sh(
    printf '%s\n' "$CAIRN_PARAMS"
    echo "id=$CAIRN_TRIAL_ID number=$CAIRN_TRIAL_NUMBER"
    echo "dir=$CAIRN_TRIAL_DIR"
    echo "cuda=[${CUDA_VISIBLE_DEVICES-unset}]"
    echo "extra=$MY_VAR parent=$CAIRN_TEST_PARENT_VAR"
    echo "pwd=$(pwd)")sh");
  r.number = 3;
  r.params = {{"lr", 0.01}, {"layers", int64_t{4}}, {"act", std::string("relu")}, {"bn", true}};
  r.env = {{"MY_VAR", "hello world"}};
  r.gpus = {"0", "2"};
  r.workdir = dir_ / "work";
  fs::create_directories(r.workdir);
  ASSERT_TRUE(Exec().Launch(r).ok());
  Drain();
  EXPECT_EQ(ExitOf(7).exit_code, 0);
  std::istringstream out(Log(7, "stdout.log"));
  std::string line;
  std::getline(out, line);
  auto params = ParamsFromJson(nlohmann::json::parse(line));
  ASSERT_TRUE(params.ok()) << line;
  EXPECT_EQ(*params, r.params);
  std::getline(out, line);
  EXPECT_EQ(line, "id=7 number=3");
  std::getline(out, line);
  EXPECT_EQ(line, "dir=" + fs::absolute(r.trial_dir).string());
  std::getline(out, line);
  EXPECT_EQ(line, "cuda=[0,2]");
  std::getline(out, line);
  EXPECT_EQ(line, "extra=hello world parent=from-parent");
  std::getline(out, line);
  EXPECT_EQ(line, "pwd=" + fs::canonical(r.workdir).string());
}

TEST_F(LocalExecutorTest, NoGpusMeansEmptyCudaVisibleDevices) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo \"cuda=[${CUDA_VISIBLE_DEVICES-unset}]\"")).ok());
  Drain();
  EXPECT_EQ(Log(1, "stdout.log"), "cuda=[]\n");
}

TEST_F(LocalExecutorTest, PythonTrialParsesParams) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  LaunchRequest r = Shell(1, "");
  r.argv = {"/usr/bin/python3", "-c",
            "import os, json\n"
            "p = json.loads(os.environ['CAIRN_PARAMS'])\n"
            "for e in range(1, 3):\n"
            "    print(json.dumps({'epoch': e, 'score': p['lr'] * e}), flush=True)\n"};
  r.params = {{"lr", 0.5}};
  ASSERT_TRUE(Exec().Launch(r).ok());
  Drain();
  EXPECT_EQ(ExitOf(1).exit_code, 0);
  ASSERT_EQ(outcomes_[1].reports.size(), 2u);
  EXPECT_DOUBLE_EQ(outcomes_[1].reports[1].metrics.at("score"), 1.0);
}

TEST_F(LocalExecutorTest, PartialLineAtEofIsFlushed) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "printf 'epoch=1 a=1\\nepoch=2 a=2'")).ok());
  Drain();
  ASSERT_EQ(outcomes_[1].reports.size(), 2u);
  EXPECT_EQ(outcomes_[1].reports[1].step, 2);
  EXPECT_EQ(Log(1, "stdout.log"), "epoch=1 a=1\nepoch=2 a=2");
}

TEST_F(LocalExecutorTest, WakeInterruptsPoll) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "sleep 30")).ok());
  Exec().Wake();
  EXPECT_TRUE(Exec().Poll(std::nullopt).empty());
  Exec().Stop(1);
  Drain();
  EXPECT_EQ(ExitOf(1).kind, ExitKind::kStopped);
}

TEST_F(LocalExecutorTest, ZeroTimeoutPollStillMakesProgress) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo epoch=1 a=1")).ok());
  double end = RealClock::Default()->Now() + 20.0;
  while (Exec().Running() > 0 && RealClock::Default()->Now() < end) {
    for (const auto& e : Exec().Poll(0.0)) Record(e);
    usleep(1000);
  }
  EXPECT_EQ(outcomes_[1].reports.size(), 1u);
  EXPECT_EQ(ExitOf(1).exit_code, 0);
}

TEST_F(LocalExecutorTest, PollWithNothingRunningReturnsAtOnce) {
  EXPECT_TRUE(Exec().Poll(std::nullopt).empty());
  EXPECT_EQ(Exec().Running(), 0);
}

TEST_F(LocalExecutorTest, DestructorKillsAndReapsEverything) {
  ASSERT_TRUE(Exec().Launch(Shell(1, "sleep 30 & echo \"child=$!\"; wait")).ok());
  WaitForReports(1, 1);
  auto pid = static_cast<pid_t>(*Exec().Pid(1));
  auto child = static_cast<pid_t>(outcomes_[1].reports[0].metrics.at("child"));
  exec_.reset();
  EXPECT_EQ(kill(pid, 0), -1);  // reaped: not even a zombie of ours
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(EventuallyDead(child)) << "grandchild " << child << " still runs";
}

TEST_F(LocalExecutorTest, SigchldFallbackWorks) {
  Exec({.use_pidfd = false});
  ASSERT_TRUE(Exec().Launch(Shell(1, "echo epoch=1 a=1; exit 2")).ok());
  LaunchRequest slow = Shell(2, "sleep 30");
  slow.timeout_s = 0.2;
  ASSERT_TRUE(Exec().Launch(slow).ok());
  Drain();
  EXPECT_EQ(ExitOf(1).exit_code, 2);
  EXPECT_EQ(outcomes_[1].reports.size(), 1u);
  EXPECT_EQ(ExitOf(2).kind, ExitKind::kTimedOut);
}

TEST_F(LocalExecutorTest, BadRequestsStartNothing) {
  LaunchRequest empty = Shell(1, "");
  empty.argv.clear();
  EXPECT_EQ(Exec().Launch(empty).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Exec().Launch(Shell(2, "sleep 30")).ok());
  EXPECT_EQ(Exec().Launch(Shell(2, "true")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Exec().Running(), 1);
  Exec().Stop(2);
  Drain();

  auto bad = MakeLocalExecutor({.patterns = {"(?P<x"}}, RealClock::Default());
  Status s = bad->Launch(Shell(3, "true"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("(?P<x"), std::string::npos);
  EXPECT_FALSE(ValidateLocalExecutorOptions({.patterns = {"(?P<x"}}).ok());
  EXPECT_TRUE(ValidateLocalExecutorOptions({}).ok());
}

TEST(ExitKindNameTest, Names) {
  EXPECT_EQ(ExitKindName(ExitKind::kTimedOut), "timed_out");
  EXPECT_EQ(ExitKindName(ExitKind::kLaunchFailed), "launch_failed");
}

}  // namespace
}  // namespace cairn
