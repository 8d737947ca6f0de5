// The SlurmExecutor on a real cluster: runs only under
// scripts/with-slurm.sh (which sets SLURM_CONF), else skips.
//   bash scripts/with-slurm.sh build-slurm/slurm_test --gtest_filter='SlurmCluster*'
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cairn/slurm_executor.h"
#include "support/paths.h"

namespace cairn {
namespace {

using ::testing::HasSubstr;

// Prints epoch=N loss=... per step, keeping the last step in
// $CAIRN_TRIAL_DIR/ckpt and resuming after it; then echoes its extra
// arguments as JSON (not a report) and exits with the given code.
// With STUBBORN=1 in its environment it ignores SIGTERM; with GRACEFUL=1
// it exits 0 on SIGTERM (as a program that saves and quits does).
constexpr const char* kTrainer = R"PY(
import json, os, signal, sys, time
if os.environ.get("STUBBORN") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.environ.get("GRACEFUL") == "1":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
steps, pause, code = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
ckpt = os.path.join(os.environ["CAIRN_TRIAL_DIR"], "ckpt")
start = int(open(ckpt).read()) if os.path.exists(ckpt) else 0
for step in range(start + 1, steps + 1):
    print(f"epoch={step} loss={1.0 / step}", flush=True)
    with open(ckpt + ".tmp", "w") as f:
        f.write(str(step))
    os.replace(ckpt + ".tmp", ckpt)
    time.sleep(pause)
print(json.dumps({"argv": sys.argv[4:], "params": os.environ["CAIRN_PARAMS"]}), flush=True)
sys.exit(code)
)PY";

class SlurmCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("SLURM_CONF") == nullptr) GTEST_SKIP() << "no Slurm cluster: run under scripts/with-slurm.sh";
    dir_ = testing::MakeTempDir("cairn-slurm-cluster");
    testing::WriteFile(dir_ / "trainer.py", kTrainer);
    exec_ = Make(true);
  }
  void TearDown() override {
    exec_.reset();
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<SlurmExecutor> Make(bool cancel_on_destroy, int pack = 1) {
    SlurmExecutorOptions options;
    options.poll_interval_s = 0.5;
    options.pack = pack;
    options.study_name = "cluster-test";
    options.cancel_on_destroy = cancel_on_destroy;
    if (const char* p = std::getenv("CAIRN_TEST_SLURM_PARTITION")) options.partition = p;
    auto made = MakeSlurmExecutor(options, RealClock::Default());
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? std::move(made).value() : nullptr;
  }

  LaunchRequest Request(int64_t id, int steps, double pause, int code, std::vector<std::string> extra = {}) {
    LaunchRequest r;
    r.trial_id = id;
    r.number = static_cast<int>(id);
    r.argv = {"/usr/bin/python3", (dir_ / "trainer.py").string(), std::to_string(steps), std::to_string(pause),
              std::to_string(code)};
    r.argv.insert(r.argv.end(), extra.begin(), extra.end());
    r.trial_dir = dir_ / ("trial-" + std::to_string(id));
    r.workdir = dir_;
    r.grace_s = 3;
    return r;
  }

  // Polls until `done` says so (or 180 s pass); returns every event seen.
  std::vector<ExecutorEvent> Drive(SlurmExecutor& exec, const std::function<bool(const ExecutorEvent&)>& done) {
    std::vector<ExecutorEvent> seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    while (std::chrono::steady_clock::now() < deadline) {
      for (auto& e : exec.Poll(1.0)) {
        seen.push_back(e);
        if (done(e)) return seen;
      }
    }
    ADD_FAILURE() << "timed out waiting for the cluster";
    return seen;
  }
  // Like Drive, but keeps the rest of the Poll batch that satisfied `done`
  // (with several trials, it may hold another trial's reports).
  std::vector<ExecutorEvent> DriveBatches(SlurmExecutor& exec, const std::function<bool(const ExecutorEvent&)>& done) {
    std::vector<ExecutorEvent> seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    while (std::chrono::steady_clock::now() < deadline) {
      bool finished = false;
      for (auto& e : exec.Poll(1.0)) {
        seen.push_back(e);
        finished = finished || done(e);
      }
      if (finished) return seen;
    }
    ADD_FAILURE() << "timed out waiting for the cluster";
    return seen;
  }
  static bool IsExit(const ExecutorEvent& e) { return std::holds_alternative<ExitEvent>(e); }
  // A trial that ignores SIGTERM, with a grace period far longer than any
  // test waits: only Kill can end it in time.
  LaunchRequest StubbornRequest(int64_t id) {
    LaunchRequest r = Request(id, 100000, 0.2, 0);
    r.env["STUBBORN"] = "1";
    r.grace_s = 3600;
    return r;
  }
  // Polls for `seconds`; true when no trial ended meanwhile (else says which, how).
  static bool NoExitFor(SlurmExecutor& exec, double seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      for (auto& e : exec.Poll(0.5)) {
        if (auto* x = std::get_if<ExitEvent>(&e)) {
          ADD_FAILURE() << "trial " << x->trial_id << " ended: " << x->message;
          return false;
        }
      }
    }
    return true;
  }
  // Polls until every trial in `ids` has ended; their ExitEvents by id.
  std::map<int64_t, ExitEvent> DriveAll(SlurmExecutor& exec, std::set<int64_t> ids,
                                        std::vector<ExecutorEvent>* seen = nullptr) {
    std::map<int64_t, ExitEvent> exits;
    auto events = DriveBatches(exec, [&](const ExecutorEvent& e) {
      if (auto* x = std::get_if<ExitEvent>(&e)) exits[x->trial_id] = *x;
      return exits.size() == ids.size();
    });
    if (seen) seen->insert(seen->end(), events.begin(), events.end());
    return exits;
  }
  static std::set<int64_t> StepsOf(const std::vector<ExecutorEvent>& events, int64_t id) {
    std::set<int64_t> steps;
    for (const auto& e : events) {
      if (auto* r = std::get_if<ReportEvent>(&e); r && r->trial_id == id && r->step) steps.insert(*r->step);
    }
    return steps;
  }
  static std::set<int64_t> Steps(const std::vector<ExecutorEvent>& events) {
    std::set<int64_t> steps;
    for (const auto& e : events) {
      if (auto* r = std::get_if<ReportEvent>(&e); r && r->step) steps.insert(*r->step);
    }
    return steps;
  }

  std::filesystem::path dir_;
  std::unique_ptr<SlurmExecutor> exec_;
};

TEST_F(SlurmCluster, TrialReportsAndCompletes) {
  std::vector<std::string> hostile = {"'; rm -rf /; '", "$(touch CANARY)", "a\n#SBATCH --mem=1", "it's"};
  LaunchRequest request = Request(1, 3, 0.1, 0, hostile);
  request.params["name"] = std::string("'; rm -rf /; '");
  ASSERT_TRUE(exec_->Launch(request).ok());
  auto events = Drive(*exec_, IsExit);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(Steps(events), (std::set<int64_t>{1, 2, 3}));
  const ExitEvent exit = std::get<ExitEvent>(events.back());
  EXPECT_EQ(exit.kind, ExitKind::kExited) << exit.message;
  EXPECT_EQ(exit.exit_code, 0);
  auto info = exec_->JobInfo(1);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->at("state"), "COMPLETED");
  EXPECT_FALSE(info->at("node").get<std::string>().empty());
  // The hostile words reached the program as words.
  std::string log = testing::ReadFile(request.trial_dir / "stdout.log");
  auto last = nlohmann::json::parse(log.substr(log.rfind("{\"argv\"")));
  EXPECT_EQ(last["argv"].get<std::vector<std::string>>(), hostile);
  EXPECT_EQ(nlohmann::json::parse(last["params"].get<std::string>())["name"], "'; rm -rf /; '");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "CANARY"));
}

TEST_F(SlurmCluster, FailingTrialReportsItsExitCode) {
  ASSERT_TRUE(exec_->Launch(Request(2, 1, 0.0, 3)).ok());
  auto events = Drive(*exec_, IsExit);
  const ExitEvent exit = std::get<ExitEvent>(events.back());
  EXPECT_EQ(exit.kind, ExitKind::kExited) << exit.message;
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(exec_->JobInfo(2)->at("state"), "FAILED");
}

TEST_F(SlurmCluster, StopCancelsARunningTrial) {
  ASSERT_TRUE(exec_->Launch(Request(3, 1000, 0.2, 0)).ok());
  auto first = Drive(*exec_, [](const ExecutorEvent& e) { return !IsExit(e); });
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(IsExit(first.back()));
  exec_->Stop(3);
  auto events = Drive(*exec_, IsExit);
  const ExitEvent exit = std::get<ExitEvent>(events.back());
  EXPECT_EQ(exit.kind, ExitKind::kStopped) << exit.message;
  events.insert(events.end(), first.begin(), first.end());
  auto steps = Steps(events);
  ASSERT_FALSE(steps.empty());
  EXPECT_LT(*steps.rbegin(), 1000);
}

// Past its timeout a trial is stopped by the executor and recorded as timed
// out, even when it exits 0 on the SIGTERM (the job ends COMPLETED).
TEST_F(SlurmCluster, ATrialPastItsTimeoutEndsTimedOutEvenWhenItExitsZero) {
  LaunchRequest request = Request(9, 100000, 0.2, 0);
  request.env["GRACEFUL"] = "1";
  request.timeout_s = 4;
  ASSERT_TRUE(exec_->Launch(request).ok());
  auto events = Drive(*exec_, IsExit);
  ASSERT_TRUE(IsExit(events.back()));
  const ExitEvent exit = std::get<ExitEvent>(events.back());
  EXPECT_EQ(exit.kind, ExitKind::kTimedOut) << exit.message;
  EXPECT_THAT(exit.message, HasSubstr("timed out after 4 s"));
}

TEST_F(SlurmCluster, KillEndsATrialThatIgnoresItsStop) {
  ASSERT_TRUE(exec_->Launch(StubbornRequest(6)).ok());
  Drive(*exec_, [](const ExecutorEvent& e) { return !IsExit(e); });
  exec_->Stop(6);
  ASSERT_TRUE(NoExitFor(*exec_, 4.0)) << "the trainer was meant to ignore SIGTERM";
  exec_->Kill(6);  // a second Ctrl-C: no more grace
  auto events = Drive(*exec_, IsExit);
  ASSERT_TRUE(IsExit(events.back()));
  EXPECT_EQ(std::get<ExitEvent>(events.back()).kind, ExitKind::kStopped) << std::get<ExitEvent>(events.back()).message;
  EXPECT_EQ(exec_->Running(), 0);
}

TEST_F(SlurmCluster, KillEndsAPackOfTrialsThatIgnoreTheirStops) {
  auto exec = Make(true, 2);
  ASSERT_TRUE(exec->Launch(StubbornRequest(7)).ok());
  ASSERT_TRUE(exec->Launch(StubbornRequest(8)).ok());
  DriveBatches(*exec, [](const ExecutorEvent& e) { return !IsExit(e); });
  ASSERT_EQ(exec->Running(), 2);
  exec->Stop(7);
  exec->Stop(8);
  ASSERT_TRUE(NoExitFor(*exec, 4.0)) << "the trainers were meant to ignore SIGTERM";
  exec->Kill(7);
  exec->Kill(8);
  auto exits = DriveAll(*exec, {7, 8});
  ASSERT_EQ(exits.size(), 2u);
  for (int64_t id : {7, 8}) EXPECT_EQ(exits[id].kind, ExitKind::kStopped) << exits[id].message;
  EXPECT_EQ(exec->Running(), 0);
}

TEST_F(SlurmCluster, RequeuedTrialResumesFromItsCheckpoint) {
  ASSERT_TRUE(exec_->Launch(Request(4, 8, 0.5, 0)).ok());
  std::string job_id;
  auto before = Drive(*exec_, [](const ExecutorEvent& e) {
    auto* r = std::get_if<ReportEvent>(&e);
    return IsExit(e) || (r && r->step >= 2);
  });
  ASSERT_FALSE(IsExit(before.back())) << "finished before the requeue";
  job_id = exec_->JobInfo(4)->at("job_id");
  ASSERT_EQ(std::system(("scontrol requeue " + job_id).c_str()), 0);
  auto after = Drive(*exec_, IsExit);
  const ExitEvent exit = std::get<ExitEvent>(after.back());
  EXPECT_EQ(exit.kind, ExitKind::kExited) << exit.message;
  EXPECT_EQ(exit.exit_code, 0);
  after.insert(after.end(), before.begin(), before.end());
  EXPECT_EQ(Steps(after), (std::set<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_GE(exec_->JobInfo(4)->at("requeues").get<int>(), 1);
  EXPECT_THAT(exit.message, HasSubstr("requeued"));
}

TEST_F(SlurmCluster, FreshExecutorReattachesByJobId) {
  auto first = Make(false);  // a coordinator that will "crash"
  LaunchRequest request = Request(5, 6, 0.3, 0);
  ASSERT_TRUE(first->Launch(request).ok());
  auto early = Drive(*first, [](const ExecutorEvent& e) { return !IsExit(e); });
  ASSERT_FALSE(IsExit(early.back()));
  std::string job_id = first->JobInfo(5)->at("job_id");
  first.reset();  // the job keeps running

  EXPECT_EQ(exec_->Attach(request, "999999").code(), StatusCode::kNotFound);
  ASSERT_TRUE(exec_->Attach(request, job_id).ok());
  auto events = Drive(*exec_, IsExit);
  EXPECT_EQ(Steps(events), (std::set<int64_t>{1, 2, 3, 4, 5, 6}));  // from the start of the log
  EXPECT_EQ(std::get<ExitEvent>(events.back()).kind, ExitKind::kExited);
  EXPECT_EQ(exec_->JobInfo(5)->at("job_id"), job_id);
}

TEST_F(SlurmCluster, PackRunsTrialsSideBySideInOneJob) {
  auto exec = Make(true, 2);
  LaunchRequest a = Request(11, 3, 0.2, 0, {"it's", "$(touch CANARY)"});
  LaunchRequest b = Request(12, 4, 0.2, 3);
  ASSERT_TRUE(exec->Launch(a).ok());
  ASSERT_TRUE(exec->Launch(b).ok());
  std::vector<ExecutorEvent> events;
  auto exits = DriveAll(*exec, {11, 12}, &events);
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_EQ(exits[11].kind, ExitKind::kExited) << exits[11].message;
  EXPECT_EQ(exits[11].exit_code, 0);
  EXPECT_EQ(exits[12].kind, ExitKind::kExited) << exits[12].message;
  EXPECT_EQ(exits[12].exit_code, 3);
  EXPECT_THAT(exits[12].message, HasSubstr("slot 2 of 2"));
  EXPECT_EQ(StepsOf(events, 11), (std::set<int64_t>{1, 2, 3}));
  EXPECT_EQ(StepsOf(events, 12), (std::set<int64_t>{1, 2, 3, 4}));
  auto ia = exec->JobInfo(11), ib = exec->JobInfo(12);
  EXPECT_EQ(ia->at("job_id"), ib->at("job_id"));
  EXPECT_EQ(ia->at("pack_index"), 0);
  EXPECT_EQ(ib->at("pack_index"), 1);
  std::string log = testing::ReadFile(a.trial_dir / "stdout.log");
  auto last = nlohmann::json::parse(log.substr(log.rfind("{\"argv\"")));
  EXPECT_EQ(last["argv"].get<std::vector<std::string>>(), (std::vector<std::string>{"it's", "$(touch CANARY)"}));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "CANARY"));
}

TEST_F(SlurmCluster, StoppingOnePackedTrialLeavesItsMateRunning) {
  auto exec = Make(true, 2);
  ASSERT_TRUE(exec->Launch(Request(21, 1000, 0.2, 0)).ok());
  ASSERT_TRUE(exec->Launch(Request(22, 8, 0.3, 0)).ok());
  std::vector<ExecutorEvent> events = DriveBatches(*exec, [](const ExecutorEvent& e) {
    auto* r = std::get_if<ReportEvent>(&e);
    return IsExit(e) || (r && r->trial_id == 21);
  });
  ASSERT_EQ(exec->Running(), 2);
  auto start = std::chrono::steady_clock::now();
  exec->Stop(21);
  std::optional<double> stopped_after;
  std::map<int64_t, ExitEvent> exits;
  auto rest = DriveBatches(*exec, [&](const ExecutorEvent& e) {
    if (auto* x = std::get_if<ExitEvent>(&e)) {
      exits[x->trial_id] = *x;
      if (x->trial_id == 21) {
        stopped_after = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
    }
    return exits.size() == 2;
  });
  events.insert(events.end(), rest.begin(), rest.end());
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_EQ(exits[21].kind, ExitKind::kStopped) << exits[21].message;
  EXPECT_EQ(exits[22].kind, ExitKind::kExited) << exits[22].message;
  EXPECT_EQ(exits[22].exit_code, 0);
  EXPECT_EQ(StepsOf(events, 22), (std::set<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_LT(StepsOf(events, 21).size(), 1000u);
  EXPECT_EQ(exec->JobInfo(21)->at("job_id"), exec->JobInfo(22)->at("job_id"));
  // The trainer exits on SIGTERM: the stop file, the watcher's second and a queue check.
  ASSERT_TRUE(stopped_after.has_value());
  EXPECT_LT(*stopped_after, 10.0);
  RecordProperty("stop_to_exit_ms", static_cast<int>(*stopped_after * 1000));
}

TEST_F(SlurmCluster, RequeuedPackRerunsOnlyItsUnfinishedTrial) {
  auto exec = Make(true, 2);
  LaunchRequest quick = Request(31, 1, 0.0, 0);
  ASSERT_TRUE(exec->Launch(quick).ok());
  ASSERT_TRUE(exec->Launch(Request(32, 8, 0.5, 0)).ok());
  std::vector<ExecutorEvent> events;
  bool quick_ended = false;
  std::set<int64_t> long_steps;
  events = DriveBatches(*exec, [&](const ExecutorEvent& e) {
    if (auto* x = std::get_if<ExitEvent>(&e)) quick_ended = quick_ended || x->trial_id == 31;
    if (auto* r = std::get_if<ReportEvent>(&e); r && r->trial_id == 32 && r->step) long_steps.insert(*r->step);
    return (IsExit(e) && std::get<ExitEvent>(e).trial_id == 32) || (quick_ended && long_steps.size() >= 2);
  });
  ASSERT_TRUE(quick_ended);
  ASSERT_EQ(exec->Running(), 1) << "the long trial finished before the requeue";
  std::string job_id = exec->JobInfo(32)->at("job_id");
  ASSERT_EQ(std::system(("scontrol requeue " + job_id).c_str()), 0);
  auto exits = DriveAll(*exec, {32}, &events);
  EXPECT_EQ(exits[32].kind, ExitKind::kExited) << exits[32].message;
  EXPECT_EQ(exits[32].exit_code, 0);
  EXPECT_THAT(exits[32].message, HasSubstr("requeued"));
  EXPECT_EQ(StepsOf(events, 32), (std::set<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  // The trial that had ended was not run again.
  std::string log = testing::ReadFile(quick.trial_dir / "stdout.log");
  EXPECT_EQ(log.find("epoch=1"), log.rfind("epoch=1")) << log;
}

TEST_F(SlurmCluster, FreshExecutorReattachesToPackedTrials) {
  auto first = Make(false, 2);  // a coordinator that will "crash"
  LaunchRequest a = Request(41, 6, 0.3, 0), b = Request(42, 6, 0.3, 0);
  ASSERT_TRUE(first->Launch(a).ok());
  nlohmann::json described_a = first->Describe(41);  // before its pack went out: no job id
  ASSERT_TRUE(first->Launch(b).ok());
  nlohmann::json described_b = first->Describe(42);
  EXPECT_FALSE(described_a.contains("job_id"));
  EXPECT_TRUE(described_b.contains("job_id"));
  DriveBatches(*first, [](const ExecutorEvent& e) { return !IsExit(e); });
  ASSERT_EQ(first->Running(), 2);
  first.reset();  // the job keeps running

  auto exec = Make(true, 2);
  ASSERT_TRUE(exec->Reattach(a, described_a).ok());
  ASSERT_TRUE(exec->Reattach(b, described_b).ok());
  std::vector<ExecutorEvent> events;
  auto exits = DriveAll(*exec, {41, 42}, &events);
  for (int64_t id : {41, 42}) {
    EXPECT_EQ(exits[id].kind, ExitKind::kExited) << exits[id].message;
    EXPECT_EQ(StepsOf(events, id), (std::set<int64_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(exec->JobInfo(id)->at("job_id"), described_b["job_id"]);
  }
}

}  // namespace
}  // namespace cairn
