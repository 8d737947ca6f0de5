// UtilizationSampler: a background thread that reads each registered
// trial's process group from /proc and its GPUs from the GpuProbe, and
// queues the readings for the coordinator to drain.
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "cairn/capture.h"
#include "cairn/capture/proc_stats.h"
#include "cairn/clock.h"
#include "cairn/gpu.h"

namespace cairn {
// Named, not anonymous: Impl's members use it, and a unity build would make
// GCC warn of an anonymous type inside Impl (-Wsubobject-linkage).
namespace utilization_internal {

struct Registration {
  int pid = 0;
  std::vector<std::string> gpus;
  int64_t next_step = 0;
  // CPU ticks per pid at the last sample, and its time; empty before the first.
  std::map<int, uint64_t> last_ticks;
  double last_time = 0.0;
  bool has_baseline = false;
};

}  // namespace utilization_internal
using utilization_internal::Registration;

namespace {

// CPU percent since the last sample: the ticks each live process gained (a
// process new since then counts in full; one that exited is dropped).
double CpuPercent(const std::map<int, uint64_t>& before, const std::map<int, uint64_t>& now,
                  double seconds) {
  static const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
  uint64_t gained = 0;
  for (const auto& [pid, ticks] : now) {
    auto it = before.find(pid);
    uint64_t prev = it == before.end() ? 0 : it->second;
    if (ticks > prev) gained += ticks - prev;
  }
  return seconds > 0 ? 100.0 * static_cast<double>(gained) / kTicksPerSecond / seconds : 0.0;
}

void AddGpuValues(GpuProbe& probe, const std::vector<std::string>& gpus,
                  std::map<std::string, double>& values) {
  for (size_t k = 0; k < gpus.size(); ++k) {
    auto s = probe.Sample(gpus[k]);
    if (!s) continue;
    const std::string prefix = "sys/gpu" + std::to_string(k) + "_";
    if (s->util_percent) values[prefix + "util"] = *s->util_percent;
    if (s->memory_used_bytes) values[prefix + "mem_bytes"] = static_cast<double>(*s->memory_used_bytes);
    if (s->power_watts) values[prefix + "power_w"] = *s->power_watts;
  }
}

}  // namespace

struct UtilizationSampler::Impl {
  UtilizationSamplerOptions options;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;                        // GUARDED_BY(mu)
  std::map<int64_t, Registration> trials;       // GUARDED_BY(mu)
  std::deque<UtilizationSample> queue;          // GUARDED_BY(mu)
  std::thread thread;

  Clock& clock() { return options.clock ? *options.clock : *RealClock::Default(); }
  GpuProbe& gpus() { return options.gpu_probe ? *options.gpu_probe : GpuProbe::Default(); }

  void Run();
  void SampleOnce();
};

void UtilizationSampler::Impl::Run() {
  std::unique_lock lock(mu);
  while (!stopping) {
    wake.wait_for(lock, std::chrono::duration<double>(options.interval_s),
                  [this] { return stopping; });
    if (stopping) break;
    lock.unlock();
    SampleOnce();  // unlocked: /proc and the driver may be slow
    lock.lock();
  }
}

void UtilizationSampler::Impl::SampleOnce() {
  std::map<int64_t, Registration> snapshot;
  {
    std::lock_guard lock(mu);
    snapshot = trials;
  }
  std::set<int> pgrps;
  for (const auto& [id, reg] : snapshot) pgrps.insert(reg.pid);
  auto procs = internal::ScanProcessGroups(options.proc_root, pgrps);
  const double now = clock().WallTime();
  const double mono = RealClock::Default()->Now();

  std::vector<std::pair<int64_t, Registration>> updated;
  std::vector<UtilizationSample> samples;
  for (auto& [id, reg] : snapshot) {
    UtilizationSample s{.trial_id = id, .step = reg.next_step++, .time = now};
    std::map<int, uint64_t> ticks;
    uint64_t rss = 0;
    for (const auto& [pid, st] : procs) {
      if (st.pgrp != reg.pid) continue;
      ticks[pid] = st.cpu_ticks;
      rss += st.rss_bytes;
    }
    if (reg.has_baseline) s.values["sys/cpu_percent"] = CpuPercent(reg.last_ticks, ticks, mono - reg.last_time);
    s.values["sys/rss_bytes"] = static_cast<double>(rss);
    s.values["sys/processes"] = static_cast<double>(ticks.size());
    AddGpuValues(gpus(), reg.gpus, s.values);
    reg.last_ticks = std::move(ticks);
    reg.last_time = mono;
    reg.has_baseline = true;
    samples.push_back(std::move(s));
  }

  std::lock_guard lock(mu);
  for (auto& [id, reg] : snapshot) {
    auto it = trials.find(id);
    // Write back unless the trial was unregistered or registered anew meanwhile.
    if (it != trials.end() && it->second.pid == reg.pid) it->second = std::move(reg);
  }
  for (auto& s : samples) {
    if (!trials.count(s.trial_id)) continue;  // unregistered while sampling
    queue.push_back(std::move(s));
    if (queue.size() > options.max_queued) queue.pop_front();
  }
}

UtilizationSampler::UtilizationSampler(UtilizationSamplerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

UtilizationSampler::~UtilizationSampler() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

void UtilizationSampler::Register(int64_t trial_id, int pid, std::vector<std::string> gpus) {
  std::lock_guard lock(impl_->mu);
  impl_->trials[trial_id] = Registration{.pid = pid, .gpus = std::move(gpus)};
}

void UtilizationSampler::Unregister(int64_t trial_id) {
  std::lock_guard lock(impl_->mu);
  impl_->trials.erase(trial_id);
}

std::vector<UtilizationSample> UtilizationSampler::Drain() {
  std::lock_guard lock(impl_->mu);
  std::vector<UtilizationSample> out(std::make_move_iterator(impl_->queue.begin()),
                                     std::make_move_iterator(impl_->queue.end()));
  impl_->queue.clear();
  return out;
}

std::vector<MetricPoint> ToMetricPoints(const UtilizationSample& s) {
  std::vector<MetricPoint> out;
  for (const auto& [key, value] : s.values) {
    out.push_back(MetricPoint{.trial_id = s.trial_id, .key = key, .step = s.step,
                              .value = value, .time = s.time});
  }
  return out;
}

}  // namespace cairn
