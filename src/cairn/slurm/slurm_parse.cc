#include "cairn/slurm/slurm_parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <vector>

#include <fmt/format.h>

#include "cairn/split.h"

namespace cairn::slurm_internal {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<int> ParseInt(std::string_view s) {
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// "(null)" and "None assigned" are Slurm's ways of printing nothing.
std::string Field(std::string_view value) {
  value = Trim(value);
  if (value == "(null)" || value == "None assigned") return "";
  return std::string(value);
}

void SetExit(JobStatus& status, std::string_view exit_text) {
  if (auto code = ParseExitCode(exit_text)) {
    status.exit_code = code->first;
    if (code->second != 0) status.signal = code->second;
  }
}

std::string StateWord(std::string_view name) {
  name = Trim(name);
  return std::string(name.substr(0, name.find(' ')));
}

}  // namespace

JobState ParseJobState(std::string_view name) {
  std::string word = StateWord(name);
  static const std::map<std::string, JobState, std::less<>> kStates = {
      {"PENDING", JobState::kPending},         {"REQUEUED", JobState::kPending},
      {"REQUEUE_HOLD", JobState::kPending},    {"REQUEUE_FED", JobState::kPending},
      {"CONFIGURING", JobState::kPending},     {"RESV_DEL_HOLD", JobState::kPending},
      {"SPECIAL_EXIT", JobState::kPending},    {"RUNNING", JobState::kRunning},
      {"COMPLETING", JobState::kRunning},      {"SUSPENDED", JobState::kRunning},
      {"SIGNALING", JobState::kRunning},       {"STAGE_OUT", JobState::kRunning},
      {"STOPPED", JobState::kRunning},         {"RESIZING", JobState::kRunning},
      {"COMPLETED", JobState::kCompleted},     {"FAILED", JobState::kFailed},
      {"CANCELLED", JobState::kCancelled},     {"TIMEOUT", JobState::kTimedOut},
      {"DEADLINE", JobState::kTimedOut},       {"OUT_OF_MEMORY", JobState::kOutOfMemory},
      {"NODE_FAIL", JobState::kNodeFailed},    {"BOOT_FAIL", JobState::kNodeFailed},
      {"PREEMPTED", JobState::kPreempted},
  };
  auto it = kStates.find(word);
  return it == kStates.end() ? JobState::kUnknown : it->second;
}

bool IsFinal(JobState state) {
  return state != JobState::kPending && state != JobState::kRunning && state != JobState::kUnknown;
}

std::map<std::string, JobStatus> ParseSqueue(std::string_view text) {
  std::map<std::string, JobStatus> jobs;
  for (std::string_view line : SplitView(text, '\n')) {
    auto f = SplitView(Trim(line), '|');
    if (f.size() != 4 || Trim(f[0]).empty()) continue;
    JobStatus s;
    s.job_id = std::string(Trim(f[0]));
    s.state_name = std::string(Trim(f[1]));
    s.state = ParseJobState(s.state_name);
    s.reason = Field(f[2]);
    s.node = Field(f[3]);
    jobs[s.job_id] = std::move(s);
  }
  return jobs;
}

std::optional<JobStatus> ParseSacct(std::string_view text, const std::string& job_id) {
  std::optional<JobStatus> found;
  for (std::string_view line : SplitView(text, '\n')) {
    auto f = SplitView(Trim(line), '|');
    if (f.size() < 5 || Trim(f[0]) != job_id) continue;
    JobStatus s;
    s.job_id = job_id;
    s.state_name = std::string(Trim(f[1]));
    s.state = ParseJobState(s.state_name);
    SetExit(s, Trim(f[2]));
    s.node = Field(f[3]);
    s.reason = Field(f[4]);
    found = std::move(s);  // later lines are later runs of a requeued job
  }
  return found;
}

std::optional<JobStatus> ParseScontrol(std::string_view text) {
  std::map<std::string, std::string, std::less<>> fields;
  for (std::string_view token : SplitView(Trim(text), ' ')) {
    size_t eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    fields.emplace(std::string(token.substr(0, eq)), std::string(token.substr(eq + 1)));
  }
  auto get = [&](std::string_view key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  if (get("JobId").empty()) return std::nullopt;
  JobStatus s;
  s.job_id = get("JobId");
  s.state_name = get("JobState");
  s.state = ParseJobState(s.state_name);
  s.reason = Field(get("Reason"));
  s.node = Field(get("NodeList"));
  SetExit(s, get("ExitCode"));
  s.restarts = ParseInt(get("Restarts"));
  return s;
}

std::optional<std::pair<int, int>> ParseExitCode(std::string_view text) {
  auto parts = SplitView(Trim(text), ':');
  if (parts.size() != 2) return std::nullopt;
  auto code = ParseInt(parts[0]);
  auto sig = ParseInt(parts[1]);
  if (!code || !sig) return std::nullopt;
  return std::make_pair(*code, *sig);
}

Result<std::string> ParseSbatchJobId(std::string_view text) {
  std::string_view id = Trim(text);
  // Warnings may come first; the id is the last line.
  if (size_t nl = id.rfind('\n'); nl != std::string_view::npos) id = Trim(id.substr(nl + 1));
  id = id.substr(0, id.find(';'));
  if (!ParseInt(id) || *ParseInt(id) <= 0) {
    return Internal(fmt::format("sbatch --parsable printed '{}', not a job id", Trim(text)));
  }
  return std::string(id);
}

ExitEvent DescribeJobEnd(int64_t trial_id, const JobStatus& s, bool stopped, double time) {
  ExitEvent e{trial_id, ExitKind::kLost, std::nullopt, std::nullopt, "", time};
  std::string where = fmt::format("Slurm job {}", s.job_id);
  if (!s.node.empty()) where += " on " + s.node;
  std::string why = s.reason.empty() || s.reason == "None" ? "" : ", reason " + s.reason;
  if (stopped) {
    e.kind = ExitKind::kStopped;
    e.message = fmt::format("stopped ({} ended {})", where, s.state_name);
    return e;
  }
  switch (s.state) {
    case JobState::kCompleted:
    case JobState::kFailed:
      if (s.signal) {
        e.kind = ExitKind::kSignaled;
        e.signal = s.signal;
        e.message = fmt::format("killed by signal {} ({})", *s.signal, where);
      } else {
        e.kind = ExitKind::kExited;
        e.exit_code = s.exit_code.value_or(s.state == JobState::kCompleted ? 0 : 1);
        e.message = fmt::format("exit {} ({})", *e.exit_code, where);
      }
      return e;
    case JobState::kOutOfMemory:
      e.kind = ExitKind::kSignaled;
      e.signal = SIGKILL;
      e.message = fmt::format("out of memory ({})", where);
      return e;
    case JobState::kTimedOut:
      e.kind = ExitKind::kTimedOut;
      e.message = fmt::format("ran past its Slurm time limit ({} {})", where, s.state_name);
      return e;
    case JobState::kCancelled:
      e.message = fmt::format("{} was cancelled outside Cairn ({}{})", where, s.state_name, why);
      return e;
    default:
      e.message = fmt::format("{} ended {}{}", where, s.state_name, why);
      return e;
  }
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool ControllerUnreachable(std::string_view sbatch_stderr) {
  std::string lower(sbatch_stderr);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::string_view kSigns[] = {
      "unable to contact slurm controller", "unable to establish controller", "dns srv lookup failed",
      "failed to fetch config",            "socket timed out",               "zero bytes were transmitted",
      "connection refused"};
  return std::any_of(std::begin(kSigns), std::end(kSigns),
                     [&](std::string_view sign) { return lower.find(sign) != std::string::npos; });
}

}  // namespace cairn::slurm_internal
