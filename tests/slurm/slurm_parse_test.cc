// Parsing squeue, sacct, scontrol and sbatch output (samples taken from
// Slurm 22.05), and mapping job ends to ExitEvents.
#include "cairn/slurm/slurm_parse.h"

#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cairn::slurm_internal {
namespace {

using ::testing::HasSubstr;

TEST(JobStates, MapSlurmNames) {
  EXPECT_EQ(ParseJobState("PENDING"), JobState::kPending);
  EXPECT_EQ(ParseJobState("REQUEUED"), JobState::kPending);
  EXPECT_EQ(ParseJobState("COMPLETING"), JobState::kRunning);
  EXPECT_EQ(ParseJobState("CANCELLED by 0"), JobState::kCancelled);
  EXPECT_EQ(ParseJobState("OUT_OF_MEMORY"), JobState::kOutOfMemory);
  EXPECT_EQ(ParseJobState("DEADLINE"), JobState::kTimedOut);
  EXPECT_EQ(ParseJobState("BOGUS"), JobState::kUnknown);
  EXPECT_FALSE(IsFinal(JobState::kRunning));
  EXPECT_FALSE(IsFinal(JobState::kUnknown));
  EXPECT_TRUE(IsFinal(JobState::kPreempted));
}

TEST(Squeue, ReadsEveryJobLine) {
  auto jobs = ParseSqueue("3|PENDING|Resources|\n1|RUNNING|None|vm\n9|FAILED|NonZeroExitCode|node[1-2]\nbroken\n");
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs["3"].state, JobState::kPending);
  EXPECT_EQ(jobs["3"].reason, "Resources");
  EXPECT_EQ(jobs["3"].node, "");
  EXPECT_EQ(jobs["1"].node, "vm");
  EXPECT_EQ(jobs["9"].state, JobState::kFailed);
  EXPECT_EQ(jobs["9"].node, "node[1-2]");
  EXPECT_TRUE(ParseSqueue("").empty());
}

TEST(Sacct, PicksTheJobLineNotItsSteps) {
  const char* text =
      "12|FAILED|2:0|vm|NonZeroExitCode\n12.batch|FAILED|2:0|vm|\n12.extern|COMPLETED|0:0|vm|\n";
  auto s = ParseSacct(text, "12");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, JobState::kFailed);
  EXPECT_EQ(s->exit_code, 2);
  EXPECT_FALSE(s->signal.has_value());
  EXPECT_EQ(s->reason, "NonZeroExitCode");
  EXPECT_FALSE(ParseSacct(text, "1").has_value());
  // A requeued job has a line per run: the last one is the current.
  auto r = ParseSacct("5|NODE_FAIL|0:0|a|None\n5|COMPLETED|0:0|b|None\n", "5");
  EXPECT_EQ(r->state, JobState::kCompleted);
  EXPECT_EQ(r->node, "b");
  EXPECT_EQ(ParseSacct("7|CANCELLED by 0|0:15|vm|None\n", "7")->signal, 15);
}

TEST(Scontrol, ReadsOneLinerFields) {
  const char* text =
      "JobId=1 JobName=cairn-x-1 UserId=root(0) JobState=PENDING Reason=BeginTime Dependency=(null) "
      "Requeue=1 Restarts=1 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 NodeList=(null) "
      "BatchHost=vm StdOut=/tmp/sx/1.out Power=\n";
  auto s = ParseScontrol(text);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->job_id, "1");
  EXPECT_EQ(s->state, JobState::kPending);
  EXPECT_EQ(s->reason, "BeginTime");
  EXPECT_EQ(s->node, "");
  EXPECT_EQ(s->restarts, 1);
  EXPECT_EQ(s->exit_code, 0);
  auto f = ParseScontrol("JobId=3 JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 NodeList=vm Restarts=0");
  EXPECT_EQ(f->exit_code, 3);
  EXPECT_EQ(f->node, "vm");
  EXPECT_FALSE(ParseScontrol("slurm_load_jobs error: Invalid job id specified").has_value());
}

TEST(ExitCodes, CodeAndSignal) {
  EXPECT_EQ(ParseExitCode("0:0"), std::make_pair(0, 0));
  EXPECT_EQ(ParseExitCode("137:9"), std::make_pair(137, 9));
  EXPECT_FALSE(ParseExitCode("").has_value());
  EXPECT_FALSE(ParseExitCode("1").has_value());
  EXPECT_FALSE(ParseExitCode("a:b").has_value());
}

TEST(Sbatch, JobIdFromParsableOutput) {
  EXPECT_EQ(*ParseSbatchJobId("123\n"), "123");
  EXPECT_EQ(*ParseSbatchJobId("123;cluster2\n"), "123");
  EXPECT_EQ(*ParseSbatchJobId("sbatch: warning: something\n77\n"), "77");
  EXPECT_FALSE(ParseSbatchJobId("").ok());
  EXPECT_FALSE(ParseSbatchJobId("Submitted batch job 5").ok());
}

JobStatus Ended(const char* state, std::optional<int> code, std::optional<int> sig = std::nullopt) {
  JobStatus s;
  s.job_id = "42";
  s.state_name = state;
  s.state = ParseJobState(state);
  s.node = "n1";
  s.exit_code = code;
  s.signal = sig;
  return s;
}

TEST(JobEnd, MapsStatesToExitKinds) {
  auto e = DescribeJobEnd(9, Ended("COMPLETED", 0), false, 5.0);
  EXPECT_EQ(e.kind, ExitKind::kExited);
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_EQ(e.trial_id, 9);
  EXPECT_EQ(e.time, 5.0);
  EXPECT_THAT(e.message, HasSubstr("Slurm job 42 on n1"));
  e = DescribeJobEnd(9, Ended("FAILED", 3), false, 0);
  EXPECT_EQ(e.kind, ExitKind::kExited);
  EXPECT_EQ(e.exit_code, 3);
  e = DescribeJobEnd(9, Ended("FAILED", 0, SIGSEGV), false, 0);
  EXPECT_EQ(e.kind, ExitKind::kSignaled);
  EXPECT_EQ(e.signal, SIGSEGV);
  EXPECT_EQ(DescribeJobEnd(9, Ended("OUT_OF_MEMORY", 0), false, 0).kind, ExitKind::kSignaled);
  EXPECT_EQ(DescribeJobEnd(9, Ended("TIMEOUT", 0), false, 0).kind, ExitKind::kTimedOut);
  EXPECT_EQ(DescribeJobEnd(9, Ended("NODE_FAIL", 0), false, 0).kind, ExitKind::kLost);
  EXPECT_EQ(DescribeJobEnd(9, Ended("PREEMPTED", 0), false, 0).kind, ExitKind::kLost);
  auto c = DescribeJobEnd(9, Ended("CANCELLED by 0", 0, 15), false, 0);
  EXPECT_EQ(c.kind, ExitKind::kLost);
  EXPECT_THAT(c.message, HasSubstr("cancelled outside Cairn"));
  // Whatever the job did after Stop(), Cairn stopped it.
  EXPECT_EQ(DescribeJobEnd(9, Ended("CANCELLED", 0, 15), true, 0).kind, ExitKind::kStopped);
  EXPECT_EQ(DescribeJobEnd(9, Ended("COMPLETED", 0), true, 0).kind, ExitKind::kStopped);
  EXPECT_EQ(DescribeJobEnd(9, Ended("FAILED", 143), true, 0).kind, ExitKind::kStopped);
}

}  // namespace
}  // namespace cairn::slurm_internal
