#include "support/fake_executor.h"

#include <algorithm>

namespace cairn::testing {

Status FakeExecutor::Launch(const LaunchRequest& request) {
  if (refuse_launches) return *refuse_launches;
  launched.push_back(request);
  running_[request.trial_id] = Live{script_for_(request)};
  max_running = std::max(max_running, static_cast<int>(running_.size()));
  return Status::Ok();
}

nlohmann::json FakeExecutor::Describe(int64_t trial_id) const {
  if (!describe_jobs) return nlohmann::json::object();
  auto named = job_names.find(trial_id);
  return {{"fake_job", named != job_names.end() ? named->second : std::to_string(trial_id)}};
}

Status FakeExecutor::Reattach(const LaunchRequest& request, const nlohmann::json& described) {
  auto job = survivors.find(described.value("fake_job", ""));
  if (job == survivors.end()) return NotFound("no such job: " + described.dump());
  reattached.push_back(request.trial_id);
  running_[request.trial_id] = Live{job->second};
  return Status::Ok();
}

void FakeExecutor::Stop(int64_t trial_id) {
  stopped.push_back(trial_id);
  auto it = running_.find(trial_id);
  if (it != running_.end() && !it->second.stop_requested) {
    it->second.stop_requested = true;
    it->second.stop_turns_left = stop_delay;
  }
}

// Each turn advances the clock one second and lets every running trial do
// one thing: report its next value, or end.
std::vector<ExecutorEvent> FakeExecutor::Poll(std::optional<double>) {
  std::vector<ExecutorEvent> events;
  if (running_.empty()) return events;
  events.reserve(running_.size());
  const int turn = turns_++;
  auto extra = extra_turn_s.find(turn);
  clock_->Advance(1.0 + (extra == extra_turn_s.end() ? 0.0 : extra->second));
  double now = clock_->Now();
  auto early = read_early_s.find(turn);
  const double read_at = now - (early == read_early_s.end() ? 0.0 : early->second);
  for (auto it = running_.begin(); it != running_.end();) {
    Live& live = it->second;
    int64_t id = it->first;
    const bool ahead = live.stop_requested && live.stop_turns_left > 0 && live.next < live.script.values.size();
    if (ahead) --live.stop_turns_left;
    if (live.stop_requested && !ahead) {
      // A program that had reported everything ends by itself, as it would
      // have without the signal (the local executor still says "stopped").
      const bool done = live.next >= live.script.values.size() && live.script.end == ExitKind::kExited;
      events.push_back(done ? ExitEvent{id, ExitKind::kStopped, live.script.exit_code, std::nullopt,
                                        "stopped (exit " + std::to_string(live.script.exit_code) + ")", now}
                            : ExitEvent{id, ExitKind::kStopped, std::nullopt, 15, "stopped", now});
      it = running_.erase(it);
      continue;
    }
    if (live.next < live.script.values.size()) {
      ReportEvent report;
      report.trial_id = id;
      if (!live.script.no_step_key) {
        report.step = live.script.steps.empty() ? static_cast<int64_t>(live.next + 1) : live.script.steps[live.next];
      }
      report.metrics[live.script.metric] = live.script.values[live.next];
      report.time = read_at;
      ++live.next;
      events.emplace_back(std::move(report));
      ++it;
      continue;
    }
    ExitEvent e{id, live.script.end, std::nullopt, live.script.signal, "", now};
    if (live.script.end == ExitKind::kExited) {
      e.exit_code = live.script.exit_code;
      e.message = "exit " + std::to_string(live.script.exit_code);
    } else {
      e.message = "ended";
    }
    events.push_back(e);
    it = running_.erase(it);
  }
  return events;
}

}  // namespace cairn::testing
