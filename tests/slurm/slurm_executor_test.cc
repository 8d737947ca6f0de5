// The executor's state machine against a scripted Slurm (FakeSlurm) on a
// simulated clock: no cluster needed. tests/slurm/slurm_cluster_test.cc
// runs the same paths on a real one.
#include <algorithm>
#include <chrono>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cairn/slurm/job_record.h"
#include "cairn/slurm/pack_script.h"
#include "cairn/slurm/slurm_executor_impl.h"
#include "slurm/fake_slurm.h"
#include "support/paths.h"

namespace cairn::slurm_internal {

Result<CommandOutput> FakeSlurm::Run(const std::vector<std::string>& argv) {
  calls.push_back(argv);
  if (journal) journal->push_back(argv);
  const std::string& prog = argv.at(0);
  auto value = [&](const std::string& prefix) {
    for (const auto& a : argv) {
      if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
    }
    return std::string();
  };
  auto known = [&](const std::string& id) { return jobs.count(id) > 0 && !jobs[id].purged; };
  if (prog == "sbatch") {
    if (!sbatch_error.empty()) return CommandOutput{1, "", sbatch_error};
    std::string id = std::to_string(next_id++);
    jobs[id] = Job{};
    return CommandOutput{0, id + "\n", ""};
  }
  if (prog == "squeue") {
    std::string out, ids = value("--jobs=") + ",";
    for (size_t pos = 0, comma; (comma = ids.find(',', pos)) != std::string::npos; pos = comma + 1) {
      std::string id = ids.substr(pos, comma - pos);
      if (known(id)) out += id + "|" + jobs[id].state + "|None|" + jobs[id].node + "\n";
    }
    return CommandOutput{0, out, ""};
  }
  if (prog == "sacct") {
    if (!accounting) return CommandOutput{1, "", "Slurm accounting storage is disabled\n"};
    const std::string& id = argv.at(2);
    if (!known(id)) return CommandOutput{0, "", ""};
    const Job& j = jobs[id];
    return CommandOutput{0, id + "|" + j.state + "|" + j.exit + "|" + j.node + "|None\n" + id + ".batch|" +
                                j.state + "|" + j.exit + "|" + j.node + "|\n", ""};
  }
  if (prog == "scontrol") {
    const std::string& id = argv.back();
    if (!known(id)) return CommandOutput{1, "", "slurm_load_jobs error: Invalid job id specified\n"};
    const Job& j = jobs[id];
    return CommandOutput{0, "JobId=" + id + " JobName=x JobState=" + j.state + " Reason=None Restarts=" +
                                std::to_string(j.restarts) + " ExitCode=" + j.exit +
                                " NodeList=" + (j.node.empty() ? "(null)" : j.node) + "\n", ""};
  }
  return CommandOutput{0, "", ""};  // scancel
}

std::vector<std::vector<std::string>> FakeSlurm::CallsTo(const std::string& program) const {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : calls) {
    if (c.at(0) == program) out.push_back(c);
  }
  return out;
}

namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SlurmExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("cairn-slurm-exec");
    options_.poll_interval_s = 1.0;
    Remake();
  }
  // A fresh executor (and scripted Slurm) with options_.
  void Remake() {
    exec_.reset();
    auto fake = std::make_unique<FakeSlurm>();
    slurm_ = fake.get();
    auto made = MakeSlurmExecutorWithRunner(options_, &clock_, std::move(fake));
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    exec_ = std::move(made).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LaunchRequest Request(int64_t id) {
    LaunchRequest r;
    r.trial_id = id;
    r.number = static_cast<int>(id);
    r.argv = {"train.py", "--lr", "0.1"};
    r.trial_dir = dir_ / std::to_string(id);
    r.workdir = dir_;
    r.grace_s = 5;
    return r;
  }
  void Append(int64_t id, const std::string& text) {
    std::ofstream(dir_ / std::to_string(id) / "stdout.log", std::ios::app) << text;
  }
  void WriteExit(int64_t id, int status) {
    std::ofstream(dir_ / std::to_string(id) / kExitFile) << status << "\n";
  }
  bool HasStopFile(int64_t id) { return std::filesystem::exists(dir_ / std::to_string(id) / kStopFile); }
  static std::map<int64_t, ExitEvent> Exits(const std::vector<ExecutorEvent>& events) {
    std::map<int64_t, ExitEvent> exits;
    for (const auto& e : events) {
      if (auto* x = std::get_if<ExitEvent>(&e)) exits[x->trial_id] = *x;
    }
    return exits;
  }
  // One poll round after the squeue interval has passed.
  std::vector<ExecutorEvent> Round() {
    clock_.Advance(options_.poll_interval_s);
    return exec_->Poll(0.0);
  }

  std::filesystem::path dir_;
  SimulatedClock clock_{1000.0};
  SlurmExecutorOptions options_;
  FakeSlurm* slurm_ = nullptr;
  std::unique_ptr<SlurmExecutor> exec_;
};

TEST_F(SlurmExecutorTest, ReportsThenExitInOrder) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "1" / "slurm_job.sh"));
  ASSERT_EQ(slurm_->CallsTo("sbatch").size(), 1u);
  EXPECT_EQ(slurm_->CallsTo("sbatch")[0].back(), (dir_ / "1" / "slurm_job.sh").string());
  EXPECT_EQ(exec_->Running(), 1);
  EXPECT_TRUE(Round().empty());  // pending, no output

  slurm_->jobs["100"].state = "RUNNING";
  slurm_->jobs["100"].node = "n7";
  Append(1, "epoch=1 loss=0.5\nepoch=2 lo");  // the second line is not finished
  auto events = Round();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).step, 1);
  EXPECT_EQ(exec_->JobInfo(1)->at("node"), "n7");
  EXPECT_EQ(exec_->JobInfo(1)->at("state"), "RUNNING");

  Append(1, "ss=0.4\nepoch=3 loss=0.3");  // the job ends without a last newline
  slurm_->jobs["100"].state = "COMPLETED";
  events = Round();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).step, 2);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).metrics.at("loss"), 0.4);
  EXPECT_EQ(std::get<ReportEvent>(events[1]).step, 3);
  const auto& exit = std::get<ExitEvent>(events[2]);
  EXPECT_EQ(exit.kind, ExitKind::kExited);
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_THAT(exit.message, HasSubstr("Slurm job 100 on n7"));
  EXPECT_EQ(exec_->Running(), 0);
  auto described = exec_->Describe(1);
  EXPECT_EQ(described["kind"], "slurm");
  EXPECT_EQ(described["job_id"], "100");
  EXPECT_EQ(described["state"], "COMPLETED");
  EXPECT_EQ(exec_->Describe(99), nlohmann::json::object());
  // Accounting is off: sacct was tried once, then only scontrol.
  EXPECT_EQ(slurm_->CallsTo("sacct").size(), 1u);
  EXPECT_EQ(slurm_->CallsTo("scontrol").size(), 1u);
}

// A caller held up by its store calls KeepUp: the logs are read then, so
// the reports carry that time, not the time the caller polled again.
TEST_F(SlurmExecutorTest, KeepUpReadsTheLogsWhileTheCallerWaits) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  EXPECT_TRUE(Round().empty());  // pending, no output
  Append(1, "epoch=1 loss=0.5\n");
  const double read_at = clock_.Now();
  exec_->KeepUp();
  EXPECT_EQ(exec_->JobInfo(1)->at("state"), "RUNNING") << "it printed, so it runs";
  clock_.Advance(100);  // held up
  Append(1, "epoch=2 loss=0.4\n");
  auto events = Round();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).step, 1);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).time, read_at);
  EXPECT_EQ(std::get<ReportEvent>(events[1]).step, 2);
  EXPECT_EQ(std::get<ReportEvent>(events[1]).time, clock_.Now());
}

TEST_F(SlurmExecutorTest, StopSignalsThenCancelsAfterGrace) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  exec_->Stop(1);
  EXPECT_THAT(slurm_->CallsTo("scancel"), ElementsAre(ElementsAre("scancel", "--full", "--signal=TERM", "100")));
  clock_.Advance(2);
  exec_->Poll(0.0);
  EXPECT_EQ(slurm_->CallsTo("scancel").size(), 1u);  // grace not over
  clock_.Advance(4);
  exec_->Poll(0.0);
  ASSERT_EQ(slurm_->CallsTo("scancel").size(), 2u);
  EXPECT_THAT(slurm_->CallsTo("scancel")[1], ElementsAre("scancel", "100"));
  slurm_->jobs["100"].state = "CANCELLED";
  slurm_->jobs["100"].exit = "0:15";
  auto events = Round();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<ExitEvent>(events[0]).kind, ExitKind::kStopped);
}

// The trial's timeout is kept by the executor, counted from when its job is
// seen running (not while it waits in the queue): a program that exits 0 on
// the SIGTERM is still a trial that timed out, not a completed one.
TEST_F(SlurmExecutorTest, ATrialPastItsTimeoutIsStoppedAndEndsTimedOut) {
  LaunchRequest r = Request(1);
  r.timeout_s = 20;
  ASSERT_TRUE(exec_->Launch(r).ok());
  clock_.Advance(100);  // pending: the queue's wait does not count
  Round();
  slurm_->jobs["100"].state = "RUNNING";
  Round();  // seen running from here
  clock_.Advance(19);
  exec_->Poll(0.0);
  EXPECT_TRUE(slurm_->CallsTo("scancel").empty()) << "19 s of running is within the 20 s";
  clock_.Advance(1);
  exec_->Poll(0.0);
  EXPECT_THAT(slurm_->CallsTo("scancel"), ElementsAre(ElementsAre("scancel", "--full", "--signal=TERM", "100")));
  slurm_->jobs["100"].state = "COMPLETED";  // it saved and exited 0
  auto exits = Exits(Round());
  ASSERT_EQ(exits.count(1), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kTimedOut) << exits[1].message;
  EXPECT_THAT(exits[1].message, HasSubstr("timed out after 20 s (Slurm job 100"));
}

// Kill (a second Ctrl-C) cancels the job at the next poll, without waiting
// out the grace; after a Stop or without one.
TEST_F(SlurmExecutorTest, KillCancelsWithoutTheGrace) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  slurm_->jobs["101"].state = "RUNNING";
  Round();
  exec_->Stop(1);
  exec_->Kill(1);
  exec_->Kill(2);
  exec_->Poll(0.0);  // no time has passed: the grace is not waited out
  auto calls = slurm_->CallsTo("scancel");
  EXPECT_EQ(std::count(calls.begin(), calls.end(), std::vector<std::string>{"scancel", "100"}), 1);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), std::vector<std::string>{"scancel", "101"}), 1);
}

// Output before squeue says RUNNING: the program runs, so a stop warns it
// (SIGTERM and the grace) instead of cancelling a job thought pending.
TEST_F(SlurmExecutorTest, AJobThatPrintsIsRunningWhateverTheLastQueueCheckSaid) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  Round();  // squeue: PENDING
  Append(1, "epoch=1 loss=0.5\n");
  exec_->Poll(0.0);  // the log is read; the next queue check is not due
  EXPECT_EQ(exec_->JobInfo(1)->at("state"), "RUNNING");
  exec_->Stop(1);
  EXPECT_THAT(slurm_->CallsTo("scancel"), ElementsAre(ElementsAre("scancel", "--full", "--signal=TERM", "100")));
}

TEST_F(SlurmExecutorTest, StopOfAPendingJobCancelsAtOnce) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  exec_->Stop(1);
  exec_->Stop(1);  // twice is once
  EXPECT_THAT(slurm_->CallsTo("scancel"), ElementsAre(ElementsAre("scancel", "100")));
  exec_->Stop(42);  // unknown: no-op
  EXPECT_EQ(slurm_->CallsTo("scancel").size(), 1u);
}

TEST_F(SlurmExecutorTest, RequeueKeepsWatchingAndIsCounted) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  slurm_->jobs["100"].state = "PENDING";  // node failure: Slurm requeued it
  slurm_->jobs["100"].restarts = 1;
  EXPECT_TRUE(Round().empty());
  EXPECT_EQ(exec_->JobInfo(1)->at("requeues"), 1);
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  slurm_->jobs["100"].state = "COMPLETED";
  auto events = Round();
  ASSERT_EQ(events.size(), 1u);
  const auto& exit = std::get<ExitEvent>(events[0]);
  EXPECT_EQ(exit.kind, ExitKind::kExited);
  EXPECT_THAT(exit.message, HasSubstr("requeued 1 time"));
  EXPECT_EQ(exec_->JobInfo(1)->at("requeues"), 1);
}

TEST_F(SlurmExecutorTest, NodeFailureWaitsForTheRequeueThenCountsAsLost) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  slurm_->jobs["101"].state = "RUNNING";
  Round();
  slurm_->jobs["100"].state = "NODE_FAIL";
  slurm_->jobs["101"].state = "NODE_FAIL";
  EXPECT_TRUE(Round().empty());  // Slurm may requeue them: wait
  slurm_->jobs["100"].state = "PENDING";
  EXPECT_TRUE(Round().empty());
  EXPECT_EQ(exec_->JobInfo(1)->at("requeues"), 1);
  std::vector<ExecutorEvent> events;
  for (int i = 0; i < 40 && events.empty(); ++i) events = Round();
  ASSERT_EQ(events.size(), 1u);  // only the job that stayed failed ends
  const auto& exit = std::get<ExitEvent>(events[0]);
  EXPECT_EQ(exit.trial_id, 2);
  EXPECT_EQ(exit.kind, ExitKind::kLost);
  EXPECT_THAT(exit.message, HasSubstr("NODE_FAIL"));
  EXPECT_EQ(exec_->Running(), 1);
}

TEST_F(SlurmExecutorTest, FailuresAndVanishedJobs) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  ASSERT_TRUE(exec_->Launch(Request(3)).ok());
  EXPECT_EQ(exec_->Launch(Request(3)).code(), StatusCode::kAlreadyExists);
  slurm_->jobs["100"].state = "FAILED";
  slurm_->jobs["100"].exit = "3:0";
  slurm_->jobs["101"].purged = true;
  slurm_->jobs["102"].state = "TIMEOUT";
  std::map<int64_t, ExitEvent> ends;
  for (auto& e : Round()) ends[std::get<ExitEvent>(e).trial_id] = std::get<ExitEvent>(e);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(ends[1].kind, ExitKind::kExited);
  EXPECT_EQ(ends[1].exit_code, 3);
  EXPECT_EQ(ends[2].kind, ExitKind::kLost);
  EXPECT_THAT(ends[2].message, HasSubstr("no longer knows"));
  EXPECT_EQ(ends[3].kind, ExitKind::kTimedOut);
}

TEST_F(SlurmExecutorTest, UsesSacctWhenAccountingWorks) {
  slurm_->accounting = true;
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  slurm_->jobs["100"].state = "OUT_OF_MEMORY";
  slurm_->jobs["100"].exit = "0:9";
  auto events = Round();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<ExitEvent>(events[0]).kind, ExitKind::kSignaled);
  EXPECT_EQ(slurm_->CallsTo("sacct").size(), 1u);
  EXPECT_TRUE(slurm_->CallsTo("scontrol").empty());
}

TEST_F(SlurmExecutorTest, SbatchRefusalIsALaunchError) {
  slurm_->sbatch_error = "sbatch: error: invalid partition specified: nope\n";
  Status s = exec_->Launch(Request(1));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("trial 1: sbatch refused the job (exit 1)"));
  EXPECT_THAT(s.message(), HasSubstr("invalid partition"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);  // the job's fault
  EXPECT_EQ(exec_->Running(), 0);
  // A controller out of reach is the cluster's state: Unavailable.
  slurm_->sbatch_error =
      "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n";
  EXPECT_EQ(exec_->Launch(Request(3)).code(), StatusCode::kUnavailable);
  LaunchRequest empty = Request(2);
  empty.argv.clear();
  EXPECT_EQ(exec_->Launch(empty).code(), StatusCode::kInvalidArgument);
}

TEST_F(SlurmExecutorTest, AttachReadsTheWholeLog) {
  EXPECT_EQ(exec_->Attach(Request(1), "555").code(), StatusCode::kNotFound);
  slurm_->jobs["555"] = FakeSlurm::Job{"RUNNING", "0:0", "n1"};
  std::filesystem::create_directories(dir_ / "1");
  Append(1, "epoch=1 loss=0.5\nepoch=2 loss=0.4\n");
  ASSERT_TRUE(exec_->Attach(Request(1), "555").ok());
  auto events = exec_->Poll(0.0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<ReportEvent>(events[1]).step, 2);
  EXPECT_EQ(exec_->JobInfo(1)->at("job_id"), "555");
  EXPECT_TRUE(slurm_->CallsTo("sbatch").empty());
}

TEST_F(SlurmExecutorTest, DestructorCancelsWatchedJobs) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  std::vector<std::vector<std::string>> journal;
  slurm_->journal = &journal;
  exec_.reset();
  EXPECT_THAT(journal, ElementsAre(ElementsAre("scancel", "100", "101")));
}

TEST_F(SlurmExecutorTest, DescribeRightAfterLaunchHasTheJobId) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  auto described = exec_->Describe(1);
  EXPECT_EQ(described["kind"], "slurm");
  EXPECT_EQ(described["job_id"], "100");
  EXPECT_EQ(described["state"], "PENDING");
  EXPECT_EQ(ReadJobRecord(dir_ / "1")->job_id, "100");
}

TEST_F(SlurmExecutorTest, ReattachTakesTheJobIdFromTheDescription) {
  slurm_->jobs["555"] = FakeSlurm::Job{"RUNNING", "0:0", "n1"};
  std::filesystem::create_directories(dir_ / "1");
  Append(1, "epoch=1 loss=0.5\n");
  EXPECT_EQ(exec_->Reattach(Request(1), nlohmann::json{{"kind", "slurm"}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(exec_->Reattach(Request(1), nlohmann::json{{"kind", "slurm"}, {"job_id", "777"}}).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(exec_->Reattach(Request(1), nlohmann::json{{"kind", "slurm"}, {"job_id", "555"}, {"node", "n1"}}).ok());
  EXPECT_EQ(exec_->Running(), 1);
  EXPECT_EQ(exec_->Reattach(Request(1), nlohmann::json{{"job_id", "555"}}).code(), StatusCode::kAlreadyExists);
  auto events = exec_->Poll(0.0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).step, 1);
  slurm_->jobs["555"].state = "COMPLETED";
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kExited);
  EXPECT_TRUE(slurm_->CallsTo("sbatch").empty());
}

// ---- pack: K

class SlurmPackTest : public SlurmExecutorTest {
 protected:
  void SetUp() override {
    options_.pack = 2;
    SlurmExecutorTest::SetUp();
  }
};

TEST_F(SlurmPackTest, LaunchBuffersUntilThePackIsFull) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  EXPECT_TRUE(slurm_->CallsTo("sbatch").empty());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "1" / "slurm_job.sh"));  // its own script is written at once
  EXPECT_EQ(exec_->Running(), 1);
  EXPECT_EQ(exec_->Describe(1)["state"], "BUFFERED");
  EXPECT_FALSE(exec_->Describe(1).contains("job_id"));
  EXPECT_EQ(exec_->Launch(Request(1)).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  ASSERT_EQ(slurm_->CallsTo("sbatch").size(), 1u);
  auto sbatch = slurm_->CallsTo("sbatch")[0];
  EXPECT_EQ(sbatch.back(), (dir_ / "1" / kPackScript).string());
  EXPECT_THAT(sbatch, Contains(std::string("--ntasks=2")));
  EXPECT_THAT(sbatch, Contains(std::string("--nodes=1")));
  EXPECT_THAT(sbatch, Contains("--job-name=cairn-study-1+2"));
  std::string script = testing::ReadFile(dir_ / "1" / kPackScript);
  EXPECT_THAT(script, HasSubstr("dir_0='" + (dir_ / "1").string() + "'\n"));
  EXPECT_THAT(script, HasSubstr("dir_1='" + (dir_ / "2").string() + "'\n"));
  for (int64_t id : {1, 2}) {
    auto d = exec_->Describe(id);
    EXPECT_EQ(d["job_id"], "100");
    EXPECT_EQ(d["pack_index"], id - 1);
    EXPECT_EQ(d["pack_size"], 2);
    auto record = ReadJobRecord(dir_ / std::to_string(id));
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->job_id, "100");
    EXPECT_EQ(record->pack_index, id - 1);
  }
  // A third waits for the next Poll, then goes alone.
  ASSERT_TRUE(exec_->Launch(Request(3)).ok());
  EXPECT_EQ(slurm_->CallsTo("sbatch").size(), 1u);
  EXPECT_EQ(exec_->Running(), 3);
  exec_->Poll(0.0);
  ASSERT_EQ(slurm_->CallsTo("sbatch").size(), 2u);
  EXPECT_THAT(slurm_->CallsTo("sbatch")[1], Contains(std::string("--ntasks=1")));
  EXPECT_EQ(exec_->Describe(3)["job_id"], "101");
  EXPECT_EQ(exec_->Running(), 3);
}

TEST_F(SlurmPackTest, PackWaitHoldsAPartialPack) {
  options_.pack_wait_s = 10;
  Remake();
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  exec_->Poll(0.0);
  clock_.Advance(5);
  exec_->Poll(0.0);
  EXPECT_TRUE(slurm_->CallsTo("sbatch").empty());
  clock_.Advance(5);
  exec_->Poll(0.0);
  EXPECT_EQ(slurm_->CallsTo("sbatch").size(), 1u);
}

// When no mate can come (the budget is spent), the partial pack goes now.
TEST_F(SlurmPackTest, NoMoreLaunchesSubmitsAPartialPackAtOnce) {
  options_.pack_wait_s = 60;
  Remake();
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  exec_->Poll(0.0);
  EXPECT_TRUE(slurm_->CallsTo("sbatch").empty());
  exec_->NoMoreLaunches();
  EXPECT_EQ(slurm_->CallsTo("sbatch").size(), 1u);
  exec_->NoMoreLaunches();  // nothing held: nothing more
  EXPECT_EQ(slurm_->CallsTo("sbatch").size(), 1u);
}

TEST_F(SlurmPackTest, EachTrialEndsFromItsOwnExitFile) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  slurm_->jobs["100"].node = "n3";
  Round();
  Append(2, "epoch=1 loss=0.5\nepoch=2 loss=0.4");  // the last line without its newline
  WriteExit(2, 3);
  auto events = Round();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(std::get<ReportEvent>(events[1]).step, 2);
  const auto& exit = std::get<ExitEvent>(events[2]);
  EXPECT_EQ(exit.trial_id, 2);
  EXPECT_EQ(exit.kind, ExitKind::kExited);
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_THAT(exit.message, HasSubstr("Slurm job 100 on n3, slot 2 of 2"));
  EXPECT_EQ(exec_->Running(), 1);
  EXPECT_EQ(exec_->JobInfo(2)->at("state"), "FAILED");
  EXPECT_TRUE(Round().empty());  // its mate runs on
  WriteExit(1, 128 + 11);
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kSignaled);
  EXPECT_EQ(exits[1].signal, 11);
  EXPECT_TRUE(slurm_->CallsTo("scancel").empty());
}

TEST_F(SlurmPackTest, AJobEndWithoutExitFilesEndsItsUnfinishedTrials) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  WriteExit(1, 0);
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kExited);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "1" / kDoneFile));  // a requeue will not run it again
  slurm_->jobs["100"].state = "TIMEOUT";
  exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[2].kind, ExitKind::kTimedOut);
  EXPECT_THAT(exits[2].message, HasSubstr("slot 2 of 2"));
}

TEST_F(SlurmPackTest, AnExitFileWrittenAsTheJobIsKilledIsNotTheTrialsEnd) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  // Slurm's SIGTERM to every process of a job it cancels: the trials'
  // statuses are written, the job's end is theirs.
  slurm_->jobs["100"].state = "COMPLETING";
  WriteExit(1, 143);
  WriteExit(2, 0);  // a program that saves and exits 0 on SIGTERM
  EXPECT_TRUE(Round().empty());
  slurm_->jobs["100"].state = "CANCELLED";
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_EQ(exits[1].kind, ExitKind::kLost);
  EXPECT_THAT(exits[1].message, HasSubstr("cancelled outside Cairn"));
  EXPECT_EQ(exits[2].kind, ExitKind::kLost);
}

TEST_F(SlurmPackTest, ARequeuedPacksOldExitFileWaitsForTheRerun) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  slurm_->jobs["100"].state = "PENDING";  // requeued; the killed run left a status
  WriteExit(1, 143);
  EXPECT_TRUE(Round().empty());
  slurm_->jobs["100"].state = "RUNNING";  // the rerun has not reached trial 1 yet
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Round().empty());
  auto killed_run = std::filesystem::last_write_time(dir_ / "1" / kExitFile);
  WriteExit(1, 0);  // the rerun's end (written later than the killed run's)
  std::filesystem::last_write_time(dir_ / "1" / kExitFile, killed_run + std::chrono::seconds(1));
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kExited);
  EXPECT_EQ(exits[1].exit_code, 0);
  EXPECT_THAT(exits[1].message, HasSubstr("requeued 1 time"));
}

TEST_F(SlurmPackTest, AnExitFileOfAJobThatRanToItsEndIsTaken) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "COMPLETING";
  WriteExit(1, 0);
  WriteExit(2, 128 + 9);
  EXPECT_TRUE(Round().empty());
  slurm_->jobs["100"].state = "COMPLETED";
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_EQ(exits[1].kind, ExitKind::kExited);
  EXPECT_EQ(exits[2].kind, ExitKind::kSignaled);
  EXPECT_EQ(exits[2].signal, 9);
}

TEST_F(SlurmPackTest, ACompletedJobWithoutATrialsExitFileWaitsThenLosesIt) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  WriteExit(1, 0);
  slurm_->jobs["100"].state = "COMPLETED";
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kExited);
  std::vector<ExecutorEvent> events;
  for (int i = 0; i < 5 && events.empty(); ++i) events = Round();
  EXPECT_TRUE(events.empty()) << "the file system may show the exit file late";
  for (int i = 0; i < 20 && events.empty(); ++i) events = Round();
  exits = Exits(events);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[2].kind, ExitKind::kLost);
  EXPECT_THAT(exits[2].message, HasSubstr("without the trial's exit status"));
}

TEST_F(SlurmPackTest, StopOfOneTrialWritesItsStopFileAndCancelsNothing) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  exec_->Stop(1);
  EXPECT_TRUE(HasStopFile(1));
  EXPECT_FALSE(HasStopFile(2));
  for (int i = 0; i < 60; ++i) Round();
  EXPECT_TRUE(slurm_->CallsTo("scancel").empty()) << "the pack-mate must go on";
  WriteExit(1, 143);
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kStopped);
  EXPECT_EQ(exec_->Running(), 1);
}

TEST_F(SlurmPackTest, StoppingEveryTrialOfARunningPackCancelsItAfterTheGrace) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  exec_->Stop(1);
  exec_->Stop(2);
  clock_.Advance(5 + 29);
  exec_->Poll(0.0);
  EXPECT_TRUE(slurm_->CallsTo("scancel").empty());  // the script gets grace + slack to stop them
  clock_.Advance(2);
  exec_->Poll(0.0);
  EXPECT_THAT(slurm_->CallsTo("scancel"), ElementsAre(ElementsAre("scancel", "100")));
  slurm_->jobs["100"].state = "CANCELLED";
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_EQ(exits[1].kind, ExitKind::kStopped);
  EXPECT_EQ(exits[2].kind, ExitKind::kStopped);
  EXPECT_EQ(slurm_->CallsTo("scancel").size(), 1u);
}

TEST_F(SlurmPackTest, KillingEveryTrialOfARunningPackCancelsItAtOnce) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  exec_->Kill(1);
  exec_->Kill(2);
  exec_->Poll(0.0);
  EXPECT_THAT(slurm_->CallsTo("scancel"), ElementsAre(ElementsAre("scancel", "100")));
}

TEST_F(SlurmPackTest, StoppingEveryTrialOfAPendingPackCancelsItAtOnce) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  exec_->Stop(1);
  EXPECT_TRUE(slurm_->CallsTo("scancel").empty());
  exec_->Stop(2);
  EXPECT_THAT(slurm_->CallsTo("scancel"), ElementsAre(ElementsAre("scancel", "100")));
}

TEST_F(SlurmPackTest, StopBeforeSubmitEndsTheTrialWithoutAJob) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  exec_->Stop(1);
  EXPECT_EQ(exec_->Running(), 1);  // until its ExitEvent is returned
  auto exits = Exits(exec_->Poll(0.0));
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kStopped);
  EXPECT_EQ(exec_->Running(), 0);
  EXPECT_TRUE(slurm_->CallsTo("sbatch").empty());
}

TEST_F(SlurmPackTest, SbatchRefusalFailsEveryTrialOfThePack) {
  slurm_->sbatch_error = "sbatch: error: Batch job submission failed: Requested node configuration is not available\n";
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  auto exits = Exits(exec_->Poll(0.0));
  ASSERT_EQ(exits.size(), 2u);
  for (int64_t id : {1, 2}) {
    EXPECT_EQ(exits[id].kind, ExitKind::kLaunchFailed);
    EXPECT_THAT(exits[id].message, HasSubstr("node configuration is not available"));
  }
  EXPECT_EQ(exec_->Running(), 0);
  LaunchRequest empty = Request(3);
  empty.argv.clear();
  EXPECT_EQ(exec_->Launch(empty).code(), StatusCode::kInvalidArgument);
}

// With the controller out of reach the pack's trials are lost (run again
// with the study file), not failed.
TEST_F(SlurmPackTest, AnUnreachableControllerLosesThePacksTrials) {
  slurm_->sbatch_error = "sbatch: error: fetch_config: DNS SRV lookup failed\n";
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  auto exits = Exits(exec_->Poll(0.0));
  ASSERT_EQ(exits.size(), 2u);
  for (int64_t id : {1, 2}) {
    EXPECT_EQ(exits[id].kind, ExitKind::kLost);
    EXPECT_THAT(exits[id].message, HasSubstr("not submitted: sbatch refused the pack job"));
  }
}

TEST_F(SlurmPackTest, RequeueKeepsWatchingEveryUnfinishedTrial) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  WriteExit(1, 0);
  EXPECT_EQ(Exits(Round()).size(), 1u);
  slurm_->jobs["100"].state = "PENDING";
  EXPECT_TRUE(Round().empty());
  EXPECT_EQ(exec_->JobInfo(2)->at("requeues"), 1);
  slurm_->jobs["100"].state = "RUNNING";
  Round();
  WriteExit(2, 0);
  auto exits = Exits(Round());
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[2].kind, ExitKind::kExited);
  EXPECT_THAT(exits[2].message, HasSubstr("requeued 1 time"));
}

TEST_F(SlurmPackTest, ReattachFindsThePackFromTheTrialDir) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  slurm_->jobs["100"].state = "RUNNING";
  Append(1, "epoch=1 loss=0.5\n");
  // The coordinator stored trial 1's description before its pack was submitted.
  nlohmann::json described = {{"kind", "slurm"}, {"state", "BUFFERED"}, {"pack_size", 2}};
  options_.cancel_on_destroy = false;
  Remake();  // a new coordinator; Slurm (a new fake) still knows the job
  slurm_->jobs["100"] = FakeSlurm::Job{"RUNNING", "0:0", "n1"};
  ASSERT_TRUE(exec_->Reattach(Request(1), described).ok());
  ASSERT_TRUE(exec_->Reattach(Request(2), nlohmann::json{{"job_id", "100"}, {"pack_index", 1}}).ok());
  EXPECT_EQ(exec_->Describe(1)["pack_index"], 0);
  EXPECT_EQ(exec_->Describe(2)["pack_index"], 1);
  WriteExit(1, 0);
  auto events = Round();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).step, 1);
  EXPECT_EQ(std::get<ExitEvent>(events[1]).trial_id, 1);
  EXPECT_EQ(exec_->Running(), 1);
  EXPECT_TRUE(slurm_->CallsTo("sbatch").empty());
}

TEST_F(SlurmPackTest, ReattachToAPackedTrialThatEndedAfterSlurmForgotItsJob) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  WriteExit(1, 0);
  Remake();  // Slurm (a new fake) has purged job 100
  ASSERT_TRUE(exec_->Reattach(Request(1), nlohmann::json{{"job_id", "100"}}).ok());
  EXPECT_EQ(exec_->Reattach(Request(2), nlohmann::json{{"job_id", "100"}}).code(), StatusCode::kNotFound);
  auto exits = Exits(exec_->Poll(0.0));
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[1].kind, ExitKind::kExited);
}

TEST_F(SlurmPackTest, DestructorCancelsEachPackOnce) {
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  ASSERT_TRUE(exec_->Launch(Request(3)).ok());
  exec_->Poll(0.0);
  std::vector<std::vector<std::string>> journal;
  slurm_->journal = &journal;
  exec_.reset();
  EXPECT_THAT(journal, ElementsAre(ElementsAre("scancel", "100", "101")));
}

TEST_F(SlurmPackTest, StaleFilesOfAnEarlierRunDoNotEndTheNewOne) {
  std::filesystem::create_directories(dir_ / "1");
  WriteExit(1, 0);
  std::ofstream(dir_ / "1" / kStopFile) << "stop\n";
  ASSERT_TRUE(exec_->Launch(Request(1)).ok());
  ASSERT_TRUE(exec_->Launch(Request(2)).ok());
  EXPECT_FALSE(HasStopFile(1));
  slurm_->jobs["100"].state = "RUNNING";
  EXPECT_TRUE(Round().empty());
}

}  // namespace
}  // namespace cairn::slurm_internal
