// The coordinator: runs one study by wiring a sampler, an executor, a
// scheduler and a store. It wires; the parts decide.
//
// One thread, one event loop: ask the sampler for parameters, launch trials
// while there are free slots, read reports from the executor, write them to
// the store in one transaction per loop turn (so a crash loses nothing that
// was read), ask the scheduler about every objective value, stop what it says
// to stop, and record how and why each trial ended.
//
//   auto coordinator = Coordinator::Create(spec, parts, options);
//   CAIRN_ASSIGN_OR_RETURN(StudySummary summary, (*coordinator)->Run());
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/capture.h"
#include "cairn/clock.h"
#include "cairn/executor.h"
#include "cairn/sampler.h"
#include "cairn/scheduler.h"
#include "cairn/spec.h"
#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn {

// Counts by state plus the best value so far, for progress lines.
struct StudyProgress {
  std::string study;
  int queued = 0;  // trials still to start within the budget
  int running = 0;
  int completed = 0;
  int stopped = 0;
  int failed = 0;
  int interrupted = 0;
  int lost = 0;
  std::optional<double> best;
  std::optional<int> best_trial;
  double elapsed_s = 0.0;
};

struct StudySummary {
  StudyProgress progress;
  int64_t study_id = 0;
  bool interrupted = false;  // the user stopped the study
  int ran = 0;               // trials this run started or re-attached to (0: the budget was already used)
  int budget = 0;            // the study's budget of trials (fewer when the space holds fewer)
};

// The collaborators of a coordinator. Non-owning pointers: the caller keeps
// them alive for the coordinator's lifetime.
struct StudyParts {
  Store* store = nullptr;        // REQUIRED
  Executor* executor = nullptr;  // REQUIRED
  Clock* clock = nullptr;        // REQUIRED
  Sampler* sampler = nullptr;    // REQUIRED
  Scheduler* scheduler = nullptr;  // REQUIRED ("none" scheduler for no pruning)
  // The record trail. Optional: without a capturer nothing is captured
  // (replay, tests); without a sampler no utilization is recorded.
  Capturer* capturer = nullptr;
  UtilizationSampler* utilization = nullptr;
};

struct CoordinatorOptions {
  // Device ids to pack trials onto (CUDA_VISIBLE_DEVICES or NVML); empty: CPU only.
  std::vector<std::string> gpu_ids;
  // The smallest memory of those devices, for resources.packing: auto (0:
  // unknown, and automatic packing keeps one trial per GPU).
  uint64_t gpu_memory_bytes = 0;
  // Where trial folders go: <trials_root>/<study>/<number>.
  std::filesystem::path trials_root;
  // False for executors that need no folder (replay): none is created.
  bool create_trial_dirs = true;
  // Notes for people (a stale trial folder moved aside, ...).
  std::function<void(const std::string&)> on_message;
  // Set (e.g. from a SIGINT handler) to stop the study: running trials are
  // stopped and recorded as interrupted.
  const std::atomic<bool>* interrupt = nullptr;
  // Set (a second Ctrl-C) to end the running trials at once: every one is
  // killed without the grace period (Executor::Kill) and recorded as
  // interrupted; the study then ends as after `interrupt`.
  const std::atomic<bool>* kill = nullptr;
  // Called after each loop turn (at most every progress_interval_s) and at the end.
  std::function<void(const StudyProgress&)> on_progress;
  double progress_interval_s = 0.5;
  // Longest wait in Executor::Poll, so progress and interrupts are seen.
  double poll_interval_s = 0.25;
  // How often the study's trials are re-read from the store while running,
  // to share the budget and results with other coordinators of the study
  // (infinity: only when attaching, e.g. for replay).
  double refresh_interval_s = 1.0;
  // Metric points are written once this many are waiting (and always before
  // a trial's end is stored and when the study ends). 1: every loop turn, so
  // a killed coordinator loses at most one poll's reports; replay, whose
  // store is thrown away, batches thousands.
  size_t metrics_batch = 1;
  // Decorates each launch (the replay executor uses this to pick curves).
  std::function<void(LaunchRequest&)> decorate_launch;
};

class Coordinator {
 public:
  // Creates the study in the store, or attaches to it when it exists with
  // the same name (resume): finished trials are told to the sampler,
  // trials left running by a dead coordinator are marked lost and re-run.
  static Result<std::unique_ptr<Coordinator>> Create(const StudySpec& spec, const StudyParts& parts,
                                                     CoordinatorOptions options);
  virtual ~Coordinator() = default;
  // Runs until the budget is spent (spec.trials trials started in total) and
  // every trial has ended, or until interrupted.
  virtual Result<StudySummary> Run() = 0;
};

}  // namespace cairn
