#include "cairn/study/recovery.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cairn/executor.h"
#include "cairn/json_text.h"
#include "cairn/metric_parser.h"
#include "cairn/metric_summary.h"
#include "cairn/run/line_splitter.h"
#include "cairn/run/trial_processes.h"
#include "cairn/study/trial_end.h"

namespace cairn::study_internal {
namespace {

struct Owner {
  std::string host;
  int pid = 0;
  std::optional<double> start;  // the coordinator's start, wall seconds
};

std::optional<Owner> ParseOwner(const std::string& owner) {
  auto first = owner.find(':');
  auto second = owner.find(':', first == std::string::npos ? first : first + 1);
  if (first == std::string::npos || second == std::string::npos) return std::nullopt;
  try {
    Owner out{owner.substr(0, first), std::stoi(owner.substr(first + 1, second - first - 1)), std::nullopt};
    size_t used = 0;
    const std::string start = owner.substr(second + 1);
    const double value = std::stod(start, &used);
    if (used == start.size() && std::isfinite(value)) out.start = value;
    return out;
  } catch (...) {
    return std::nullopt;
  }
}

// When process `pid` started, in seconds since the Unix epoch: the boot
// time (/proc/stat btime) plus its start in clock ticks after boot
// (/proc/PID/stat, field 22); nullopt when either cannot be read.
std::optional<double> ProcessStartWall(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  const size_t paren = line.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos || paren + 2 > line.size()) return std::nullopt;
  std::istringstream fields(line.substr(paren + 2));  // from field 3 on
  double ticks = 0;
  std::string skipped;
  for (int field = 3; field < 22; ++field) fields >> skipped;
  if (!(fields >> ticks)) return std::nullopt;
  std::ifstream boot("/proc/stat");
  for (std::string key; boot >> key;) {
    double btime = 0;
    if (key == "btime" && boot >> btime) return btime + ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return std::nullopt;
}

std::string HostName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

bool ProcessExists(int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

bool OwnerIsGone(const TrialRecord& trial, double now_wall, double heard_since) {
  auto owner = ParseOwner(trial.owner);
  if (owner && owner->host == HostName()) {
    if (!ProcessExists(owner->pid)) return true;
    // The pid may name another process by now (a container restarted: its
    // new `cairn run` is pid 1 again). One that started after the owner
    // recorded its own start is not the owner.
    constexpr double kSlackS = 5.0;
    const std::optional<double> started = ProcessStartWall(owner->pid);
    return owner->start && started && *started > *owner->start + kSlackS;
  }
  double last = trial.heartbeat_at.value_or(trial.started_at.value_or(trial.created_at));
  return now_wall - std::max(last, heard_since) > kHeartbeatTimeoutS;
}

bool KillOrphan(const TrialRecord& trial) {
  auto owner = ParseOwner(trial.owner);
  if (!owner || owner->host != HostName()) return false;
  const int pid = trial.attrs.value("pid", 0);
  // The pid may long since name another process (a reboot, or just time):
  // only one whose environment names this trial is it.
  const bool running = pid > 1 && IsTrialProcess(pid, trial);
  if (running) kill(-pid, SIGKILL);  // its whole process group
  const std::vector<std::string> marks = TrialMarksOf(trial);
  if (marks.size() == 2) run_internal::KillTrialProcesses(marks);  // those that left the group
  return running;
}

std::vector<std::string> TrialMarksOf(const TrialRecord& trial) {
  LaunchRequest request;
  request.trial_id = trial.id;
  request.trial_dir = trial.attrs.value("trial_dir", std::string());
  std::vector<std::string> marks = run_internal::TrialMarks(TrialEnvironment(request));
  if (request.trial_dir.empty()) marks.resize(1);  // the folder is not known: the id alone
  return marks;
}

bool IsTrialProcess(int pid, const TrialRecord& trial) {
  return run_internal::EnvironmentHas(pid, TrialMarksOf(trial));
}

Result<int64_t> ReingestTrialLog(Store& store, const StudySpec& spec, const TrialRecord& trial) {
  std::string dir = trial.attrs.value("trial_dir", std::string());
  if (dir.empty()) return int64_t{0};
  std::vector<std::string> patterns;
  for (const auto& p : spec.patterns) patterns.push_back(p.regex);
  CAIRN_ASSIGN_OR_RETURN(MetricParser parser, MetricParser::Create(spec.step_key, patterns));

  CAIRN_ASSIGN_OR_RETURN(auto stored, store.ReadMetrics({trial.id, std::nullopt}));
  std::set<std::pair<std::string, int64_t>> have;
  for (const auto& p : stored) have.insert({p.key, p.step});

  double time = trial.heartbeat_at.value_or(trial.created_at);
  std::vector<MetricPoint> missing;
  std::map<std::string, int64_t> count;  // reports without a step count per key
  auto ingest = [&](const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
      auto report = parser.Parse(line);
      if (!report) continue;
      for (const auto& [key, value] : report->metrics) {
        int64_t step = report->step.value_or(++count[key]);
        if (have.insert({key, step}).second) missing.push_back({trial.id, key, step, value, time});
      }
    }
  };
  // The logs the live executor parsed: stderr too when the study asks.
  std::vector<std::string> logs = {"stdout.log"};
  if (spec.executor_options.is_object() && spec.executor_options.value("parse_stderr", false)) {
    logs.push_back("stderr.log");
  }
  for (const std::string& name : logs) {
    std::ifstream log(std::filesystem::path(dir) / name, std::ios::binary);
    if (!log) continue;
    // Split as the live executor splits: a line too long to be a report is
    // skipped, not read whole (a program may write gigabytes without a newline).
    run_internal::LineSplitter splitter(MetricParser::kMaxLineBytes);
    std::vector<char> chunk(1 << 16);
    std::vector<std::string> lines;
    while (log.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || log.gcount() > 0) {
      lines.clear();
      splitter.Feed(std::string_view(chunk.data(), static_cast<size_t>(log.gcount())), &lines);
      ingest(lines);
    }
    lines.clear();
    splitter.Finish(&lines);
    ingest(lines);
  }
  if (!missing.empty()) CAIRN_TRY(store.AppendMetrics(missing));
  return static_cast<int64_t>(missing.size());
}

namespace {

// The objective as the coordinator counts it live: the value at the latest
// step up to max_steps, the steps trained, and the first non-finite report
// (which the coordinator stops a trial at).
struct CountedObjective {
  std::optional<double> value;
  std::optional<int64_t> last_step;
  int64_t steps = 0;
  std::optional<MetricPoint> nonfinite;
};

// Up to `last_step` when given: the steps the trial ran under max_steps, or
// the step a rule stopped it at (later reports are points, not its value).
CountedObjective CountObjective(const std::vector<MetricPoint>& points, const std::string& metric,
                                std::optional<int64_t> last_step) {
  std::vector<MetricPoint> objective;
  for (const auto& p : points) {
    if (p.key == metric && (!last_step || p.step <= *last_step)) objective.push_back(p);
  }
  std::stable_sort(objective.begin(), objective.end(),
                   [](const MetricPoint& a, const MetricPoint& b) { return a.step < b.step; });
  CountedObjective out;
  for (const auto& p : objective) {
    const bool new_step = !out.last_step || p.step > *out.last_step;
    if (new_step) ++out.steps;
    out.value = p.value;
    out.last_step = p.step;  // a NaN's too: it is the value (the trial fails on it)
    if (!std::isfinite(p.value)) {
      out.nonfinite = p;
      break;
    }
  }
  return out;
}

}  // namespace

void WriteStopRecord(const std::filesystem::path& trial_dir, int64_t trial_id, const StopRecord& stop) {
  if (trial_dir.empty()) return;
  nlohmann::json j = {{"trial_id", trial_id}, {"cause", StopCauseName(stop.cause)}, {"detail", stop.detail}};
  if (stop.step) j["step"] = *stop.step;
  if (!stop.decision.is_null()) j["decision"] = stop.decision;
  (void)WriteJsonFileAtomically(trial_dir / kStopRecordFile, j);
}

std::optional<StopRecord> ReadStopRecord(const std::filesystem::path& trial_dir, int64_t trial_id) {
  std::ifstream in(trial_dir / kStopRecordFile, std::ios::binary);
  if (!in) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto id = j.find("trial_id");
  const auto cause_name = j.find("cause");
  if (id == j.end() || !id->is_number_integer() || id->get<int64_t>() != trial_id) return std::nullopt;
  if (cause_name == j.end() || !cause_name->is_string()) return std::nullopt;
  const std::optional<StopCause> cause = StopCauseFromName(cause_name->get<std::string>());
  if (!cause) return std::nullopt;
  StopRecord stop{.cause = *cause};
  if (auto d = j.find("detail"); d != j.end() && d->is_string()) stop.detail = d->get<std::string>();
  if (auto st = j.find("step"); st != j.end() && st->is_number_integer()) stop.step = st->get<int64_t>();
  if (auto d = j.find("decision"); d != j.end() && d->is_object()) stop.decision = *d;
  return stop;
}

Result<bool> RecordRecoveredEnd(Store& store, const StudySpec& spec, TrialRecord& trial, double now_wall,
                                bool trust_exit_record) {
  const std::string dir = trial.attrs.value("trial_dir", std::string());
  if (dir.empty()) return false;
  std::optional<ExitEvent> exit = trust_exit_record ? ReadExitRecord(dir, trial.id) : std::nullopt;
  if (exit && (exit->kind == ExitKind::kLost || exit->kind == ExitKind::kLaunchFailed)) exit.reset();
  // Cairn stopped it: why is in its stop record, or it is lost (an interrupt
  // is run again, as live).
  std::optional<StopRecord> stop;
  if (exit && exit->kind == ExitKind::kStopped) {
    stop = ReadStopRecord(dir, trial.id);
    if (!stop || stop->cause == StopCause::kNone || stop->cause == StopCause::kInterrupt) {
      exit.reset();
      stop.reset();
    }
  }
  // The max_steps it ran under (the study file may have changed since).
  std::optional<int64_t> last_step = spec.max_steps;
  if (auto m = trial.attrs.find("max_steps"); m != trial.attrs.end() && m->is_number_integer()) {
    last_step = m->get<int64_t>();
  }
  if (stop && stop->cause == StopCause::kScheduler && stop->step) {
    last_step = last_step ? std::min(*last_step, *stop->step) : *stop->step;
  }
  CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({trial.id, std::nullopt}));
  const CountedObjective objective = CountObjective(points, spec.metric, last_step);
  const bool from_record = exit.has_value();
  if (!exit) {
    // No end on record, but its log holds a NaN objective: live, it was
    // stopped there and failed; run again, it would fail there again.
    if (!objective.nonfinite) return false;
    exit = ExitEvent{.trial_id = trial.id,
                     .kind = ExitKind::kStopped,
                     .message = "stopped when its coordinator went",
                     .time = trial.heartbeat_at.value_or(now_wall)};
    stop = StopRecord{.cause = StopCause::kNonFinite};
  }
  TrialEnd end = stop ? ClassifyTrialEnd(*exit, stop->cause, stop->detail) : ClassifyTrialEnd(*exit, StopCause::kNone, "");
  if (objective.nonfinite) {
    end = {TrialState::kFailed, fmt::format("objective {} reported {} at step {}", spec.metric,
                                            objective.nonfinite->value, objective.nonfinite->step)};
  } else if (end.state == TrialState::kCompleted && !objective.last_step) {
    end = WithoutObjective(end, spec.metric);
  }
  trial.state = end.state;
  trial.end_reason = end.reason + (from_record ? " (recorded on resume from the trial's exit record: its coordinator "
                                                 "could not)"
                                               : " (read on resume from its log: its coordinator had gone)");
  trial.exit_code = exit->exit_code;
  trial.signal = exit->signal;
  trial.value = objective.value;
  trial.steps = objective.steps;
  trial.ended_at = std::max(std::min(exit->time, now_wall), trial.started_at.value_or(trial.created_at));
  trial.attrs["exit"] = {{"kind", ExitKindName(exit->kind)}, {"message", exit->message}};
  if (stop && !stop->decision.is_null()) trial.attrs["decision"] = stop->decision;
  nlohmann::json summary = nlohmann::json::object();
  for (const auto& [key, m] : SummarizeMetricPoints(points, spec.direction, spec.metric)) {
    summary[key] = MetricSummaryJson(m);
  }
  trial.attrs["metrics"] = std::move(summary);
  if (objective.last_step) trial.attrs["value_step"] = *objective.last_step;
  trial.attrs["end_recovered"] = true;
  CAIRN_TRY(store.UpdateTrial(trial));
  return true;
}

}  // namespace cairn::study_internal
