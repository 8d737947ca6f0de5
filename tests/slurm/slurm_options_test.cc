// The study file's `executor: slurm` options.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cairn/slurm_executor.h"

namespace cairn {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

TEST(SlurmOptions, DefaultsFromAnEmptyMap) {
  auto o = SlurmOptionsFromJson(json::object());
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->requeue);
  EXPECT_EQ(o->pack, 1);
  EXPECT_EQ(o->gpus_per_trial, 0);
  EXPECT_FALSE(o->time_s.has_value());
  EXPECT_TRUE(SlurmOptionsFromJson(json()).ok());
}

TEST(SlurmOptions, ReadsEveryKey) {
  auto o = SlurmOptionsFromJson(json::parse(R"J({
    "partition": "gpu", "account": "proj", "qos": "high", "time": "1-02:03:04",
    "gpus_per_trial": 2, "cpus_per_trial": 8, "mem": "16G", "sbatch": ["--constraint=a100", "--nice=10"],
    "pack": 4, "pack_wait": 30, "requeue": false, "poll_interval": 0.5, "step_key": "step", "patterns": ["loss (?P<loss>\\S+)"]})J"));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->partition, "gpu");
  EXPECT_EQ(o->account, "proj");
  EXPECT_EQ(o->qos, "high");
  EXPECT_EQ(o->time_s, 86400 + 2 * 3600 + 3 * 60 + 4);
  EXPECT_EQ(o->gpus_per_trial, 2);
  EXPECT_EQ(o->cpus_per_trial, 8);
  EXPECT_EQ(o->mem, "16G");
  EXPECT_EQ(o->sbatch_args, (std::vector<std::string>{"--constraint=a100", "--nice=10"}));
  EXPECT_EQ(o->pack, 4);
  EXPECT_EQ(o->pack_wait_s, 30.0);
  EXPECT_FALSE(o->requeue);
  EXPECT_EQ(o->poll_interval_s, 0.5);
  EXPECT_EQ(o->step_key, "step");
  EXPECT_EQ(o->patterns.size(), 1u);
}

TEST(SlurmOptions, TimeForms) {
  auto time = [](json v) { return SlurmOptionsFromJson(json{{"time", v}}); };
  EXPECT_EQ(time(90)->time_s, 90 * 60);
  EXPECT_EQ(time("90")->time_s, 90 * 60);
  EXPECT_EQ(time("01:30:00")->time_s, 5400);
  EXPECT_EQ(time("10:30")->time_s, 630);  // MM:SS, as sbatch reads it
  EXPECT_EQ(time("2-12")->time_s, 2 * 86400 + 12 * 3600);
  for (json bad : {json("soon"), json(0), json(-5), json("1:2:3:4"), json(true), json("00:00:00")}) {
    auto r = time(bad);
    EXPECT_FALSE(r.ok()) << bad.dump();
    EXPECT_THAT(r.status().message(), HasSubstr("'time'")) << bad.dump();
  }
}

TEST(SlurmOptions, ErrorsNameTheKey) {
  auto msg = [](const char* text) { return SlurmOptionsFromJson(json::parse(text)).status().message(); };
  EXPECT_THAT(msg(R"({"partitoin": "gpu"})"), HasSubstr("'partitoin' is not a Slurm option"));
  EXPECT_THAT(msg(R"({"gpus_per_trial": -1})"), HasSubstr("'gpus_per_trial'"));
  EXPECT_THAT(msg(R"({"gpus_per_trial": 1.5})"), HasSubstr("'gpus_per_trial'"));
  EXPECT_THAT(msg(R"({"cpus_per_trial": 0})"), HasSubstr("'cpus_per_trial'"));
  EXPECT_THAT(msg(R"({"sbatch": "--x"})"), HasSubstr("'sbatch'"));
  EXPECT_THAT(msg(R"({"sbatch": [1]})"), HasSubstr("'sbatch'"));
  EXPECT_THAT(msg(R"({"requeue": "yes"})"), HasSubstr("'requeue'"));
  EXPECT_THAT(msg(R"({"poll_interval": 0})"), HasSubstr("'poll_interval'"));
  EXPECT_THAT(msg(R"({"mem": "lots"})"), HasSubstr("'mem'"));
  EXPECT_THAT(msg(R"({"partition": "a b"})"), HasSubstr("'partition'"));
  EXPECT_THAT(msg(R"({"pack": 0})"), HasSubstr("'pack'"));
  EXPECT_THAT(msg(R"({"pack": 1000})"), HasSubstr("'pack'"));
  EXPECT_THAT(msg(R"({"pack_wait": -1})"), HasSubstr("'pack_wait'"));
  EXPECT_THAT(msg(R"({"pack_wait": "soon"})"), HasSubstr("'pack_wait'"));
  EXPECT_THAT(msg(R"J({"patterns": ["(unclosed"]})J"), HasSubstr("patterns"));
  EXPECT_THAT(msg(R"(["gpu"])"), HasSubstr("map"));
}

}  // namespace
}  // namespace cairn
