// The job script and sbatch command line: escaping proven by running the
// generated script with a real /bin/sh and hostile parameter values.
#include "cairn/slurm/job_script.h"

#include <cstdio>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/paths.h"

namespace cairn::slurm_internal {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// Runs `script` with /bin/sh and returns its stdout.
std::string RunScript(const std::filesystem::path& dir, const std::string& script) {
  testing::WriteFile(dir / "job.sh", script);
  std::string cmd = "cd " + dir.string() + " && /bin/sh job.sh > out.txt 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << testing::ReadFile(dir / "out.txt");
  return testing::ReadFile(dir / "out.txt");
}

const std::vector<std::string> kHostile = {
    "'; rm -rf /; '", "$(touch CANARY)", "`touch CANARY`", "a\nb\n#SBATCH --mem=1", "\\", "\"", "$HOME",
    "*", " leading space", "", "it's", "'''", "; touch CANARY", "\t\x01\x7f", "\xc3\xa9t\xc3\xa9"};

TEST(ShellQuote, QuotesEverythingAsOneWord) {
  EXPECT_EQ(ShellQuote("plain"), "'plain'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(JobScript, HostileArgvAndEnvironmentReachTheProgramVerbatim) {
  auto dir = testing::MakeTempDir("cairn-slurm-script");
  LaunchRequest request;
  request.trial_id = 7;
  request.number = 3;
  request.trial_dir = dir / "trial";
  request.params["name"] = std::string("'; rm -rf /; '");
  request.env["EXTRA"] = "$(touch CANARY) 'x' \"y\"";
  request.argv = {"/usr/bin/python3", "-c",
                  "import json, os, sys\n"
                  "print(json.dumps({'argv': sys.argv[1:], 'extra': os.environ['EXTRA'],\n"
                  "  'params': json.loads(os.environ['CAIRN_PARAMS']), 'id': os.environ['CAIRN_TRIAL_ID'],\n"
                  "  'cuda': os.environ['CUDA_VISIBLE_DEVICES'], 'dir': os.environ['CAIRN_TRIAL_DIR']}))"};
  request.argv.insert(request.argv.end(), kHostile.begin(), kHostile.end());
  auto script = BuildJobScript(request, JobEnvironment(request, 0));
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  // sbatch reads #SBATCH lines only before the first command: a value with
  // "\n#SBATCH" may only appear after it.
  EXPECT_LT(script->find("\nexport "), script->find("#SBATCH"));
  auto out = nlohmann::json::parse(RunScript(dir, *script));
  EXPECT_EQ(out["argv"].get<std::vector<std::string>>(), kHostile);
  EXPECT_EQ(out["extra"], request.env["EXTRA"]);
  EXPECT_EQ(out["params"]["name"], "'; rm -rf /; '");
  EXPECT_EQ(out["id"], "7");
  EXPECT_EQ(out["cuda"], "");
  EXPECT_EQ(out["dir"], std::filesystem::absolute(request.trial_dir).lexically_normal().string());
  EXPECT_FALSE(std::filesystem::exists(dir / "CANARY"));
  std::filesystem::remove_all(dir);
}

TEST(JobScript, ScriptExecsSoSignalsReachTheProgram) {
  LaunchRequest request;
  request.trial_dir = "/tmp/t";
  request.argv = {"train.py", "--lr", "0.1"};
  auto script = BuildJobScript(request, JobEnvironment(request, 0));
  ASSERT_TRUE(script.ok());
  EXPECT_THAT(*script, HasSubstr("\nexec 'train.py' '--lr' '0.1'\n"));
}

TEST(JobScript, RejectsWhatAShellCannotCarry) {
  LaunchRequest request;
  request.trial_id = 5;
  request.number = 4;  // messages name the trial as the study numbers it
  request.trial_dir = "/tmp/t";
  EXPECT_THAT(BuildJobScript(request, {}).status().message(), HasSubstr("trial 4: empty command"));
  request.argv = {"prog", std::string("a\0b", 3)};
  EXPECT_THAT(BuildJobScript(request, {}).status().message(), HasSubstr("NUL"));
  request.argv = {"prog"};
  EXPECT_THAT(BuildJobScript(request, {{"BAD NAME", "x"}}).status().message(), HasSubstr("'BAD NAME'"));
  EXPECT_THAT(BuildJobScript(request, {{"1X", "x"}}).status().message(), HasSubstr("'1X'"));
}

TEST(JobScript, GpuTrialsLeaveCudaVisibleDevicesToSlurm) {
  LaunchRequest request;
  request.trial_dir = "/tmp/t";
  request.gpus = {"0"};  // this machine's ids: meaningless on a compute node
  EXPECT_EQ(JobEnvironment(request, 1).count("CUDA_VISIBLE_DEVICES"), 0u);
  EXPECT_EQ(JobEnvironment(request, 0).at("CUDA_VISIBLE_DEVICES"), "");
}

TEST(SlurmTime, RoundsUpToWholeMinutes) {
  EXPECT_EQ(FormatSlurmTime(1), "0-00:01:00");
  EXPECT_EQ(FormatSlurmTime(60), "0-00:01:00");
  EXPECT_EQ(FormatSlurmTime(61), "0-00:02:00");
  EXPECT_EQ(FormatSlurmTime(3600 * 25 + 90), "1-01:02:00");
}

TEST(Sbatch, ArgvCarriesEveryOption) {
  SlurmExecutorOptions options;
  options.partition = "gpu";
  options.account = "proj";
  options.qos = "high";
  options.time_s = 7200;
  options.gpus_per_trial = 2;
  options.cpus_per_trial = 4;
  options.mem = "8G";
  options.sbatch_args = {"--constraint=a100"};
  options.study_name = "my study/1";
  LaunchRequest request;
  request.number = 12;
  request.trial_dir = "/shared/trials/12";
  request.workdir = "/shared/code";
  request.grace_s = 30;
  request.timeout_s = 600;  // + grace + 2 min slack: shorter than the study-wide limit, wins
  auto argv = BuildSbatchArgv(options, request, "/shared/trials/12/slurm_job.sh");
  for (const char* want :
       {"sbatch", "--parsable", "--job-name=cairn-my_study_1-12", "--output=/shared/trials/12/stdout.log",
        "--error=/shared/trials/12/stderr.log", "--open-mode=append", "--chdir=/shared/code", "--export=ALL",
        "--requeue", "--signal=B:TERM@30", "--partition=gpu", "--account=proj", "--qos=high",
        "--time=0-00:13:00", "--gres=gpu:2", "--cpus-per-task=4", "--mem=8G", "--constraint=a100"}) {
    EXPECT_THAT(argv, Contains(std::string(want)));
  }
  EXPECT_EQ(argv.back(), "/shared/trials/12/slurm_job.sh");
  options.requeue = false;
  request.timeout_s.reset();
  argv = BuildSbatchArgv(options, request, "s.sh");
  EXPECT_THAT(argv, Contains(std::string("--no-requeue")));
  EXPECT_THAT(argv, Contains(std::string("--time=0-02:00:00")));
}

}  // namespace
}  // namespace cairn::slurm_internal
