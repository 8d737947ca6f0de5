#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "cairn/capture.h"
#include "cairn/capture/proc_stats.h"
#include "cairn/gpu.h"

extern char** environ;

namespace cairn {
namespace {

// A busy shell loop (and a sleeping child) in its own process group, like a trial.
class BusyGroup {
 public:
  BusyGroup() {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    const char* argv[] = {"/bin/sh", "-c", "sleep 60 & while :; do :; done", nullptr};
    posix_spawn(&pid_, "/bin/sh", nullptr, &attr, const_cast<char**>(argv), environ);
    posix_spawnattr_destroy(&attr);
  }
  ~BusyGroup() {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
};

// Drains until `done` says so or 20 s pass (a safety net, not a timing assertion).
std::vector<UtilizationSample> DrainUntil(UtilizationSampler& sampler,
                                          const std::function<bool(const UtilizationSample&)>& done) {
  std::vector<UtilizationSample> all;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    for (auto& s : sampler.Drain()) {
      all.push_back(s);
      if (done(s)) return all;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return all;
}

TEST(ProcStat, ParsesNamesWithSpacesAndParens) {
  std::string line =
      "4242 (my (odd) name) R 1 4240 4240 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 "
      "12345 1000000 256 18446744073709551615";
  internal::ProcStat st;
  ASSERT_TRUE(internal::ParseProcStat(line, 4096, st));
  EXPECT_EQ(st.pid, 4242);
  EXPECT_EQ(st.pgrp, 4240);
  EXPECT_EQ(st.cpu_ticks, 200u);
  EXPECT_EQ(st.rss_bytes, 256u * 4096u);
  EXPECT_FALSE(internal::ParseProcStat("garbage", 4096, st));
}

TEST(UtilizationSampler, BusyProcessGroupHasCpuAndMemory) {
  BusyGroup group;
  UtilizationSampler sampler({.interval_s = 0.05});
  sampler.Register(7, group.pid());
  auto samples = DrainUntil(sampler, [](const UtilizationSample& s) {
    auto it = s.values.find("sys/cpu_percent");
    return it != s.values.end() && it->second > 0;
  });
  ASSERT_FALSE(samples.empty());
  const UtilizationSample& last = samples.back();
  EXPECT_EQ(last.trial_id, 7);
  EXPECT_GT(last.values.at("sys/cpu_percent"), 0.0);
  EXPECT_GT(last.values.at("sys/rss_bytes"), 0.0);
  EXPECT_GE(last.values.at("sys/processes"), 1.0);
  EXPECT_FALSE(samples.front().values.count("sys/cpu_percent"));  // no baseline yet
  for (size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(samples[i].step, static_cast<int64_t>(i));
  EXPECT_GT(last.time, 1.6e9);  // wall clock by default
}

TEST(UtilizationSampler, GpuValuesFromTheProbe) {
  GpuProbe probe({.nvml_library = CAIRN_FAKE_NVML, .use_nvidia_smi = false});
  UtilizationSampler sampler({.interval_s = 0.05, .gpu_probe = &probe});
  sampler.Register(3, ::getpid(), {"1", "GPU-fake0000-0000-0000-0000-000000000000"});
  auto samples = DrainUntil(sampler, [](const UtilizationSample&) { return true; });
  ASSERT_FALSE(samples.empty());
  const auto& v = samples[0].values;
  EXPECT_EQ(v.at("sys/gpu0_util"), 41.0);  // trial-local 0 is device 1
  EXPECT_EQ(v.at("sys/gpu0_mem_bytes"), 2.0 * (1ull << 30));
  EXPECT_EQ(v.at("sys/gpu0_power_w"), 251.0);
  EXPECT_EQ(v.at("sys/gpu1_util"), 40.0);
  auto points = ToMetricPoints(samples[0]);
  ASSERT_EQ(points.size(), v.size());
  for (const auto& p : points) {
    EXPECT_EQ(p.trial_id, 3);
    EXPECT_EQ(p.value, v.at(p.key));
    EXPECT_EQ(p.step, samples[0].step);
  }
}

TEST(UtilizationSampler, UnregisteredTrialsStopAndDestructorJoins) {
  auto sampler = std::make_unique<UtilizationSampler>(UtilizationSamplerOptions{.interval_s = 0.02});
  sampler->Register(1, ::getpid());
  DrainUntil(*sampler, [](const UtilizationSample&) { return true; });
  sampler->Unregister(1);
  sampler->Drain();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (const auto& s : sampler->Drain()) EXPECT_NE(s.trial_id, 1);
  sampler.reset();  // joins promptly even with a long interval pending
  UtilizationSampler slow({.interval_s = 3600});
}

TEST(UtilizationSampler, VanishedGroupReadsZero) {
  UtilizationSampler sampler({.interval_s = 0.02});
  sampler.Register(9, 999999999);  // no such process group
  auto samples = DrainUntil(sampler, [](const UtilizationSample&) { return true; });
  ASSERT_FALSE(samples.empty());
  EXPECT_EQ(samples[0].values.at("sys/rss_bytes"), 0.0);
  EXPECT_EQ(samples[0].values.at("sys/processes"), 0.0);
}

}  // namespace
}  // namespace cairn
