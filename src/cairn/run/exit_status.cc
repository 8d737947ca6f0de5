#include "cairn/run/exit_status.h"

#include <string.h>
#include <sys/wait.h>

#include <fmt/format.h>

namespace cairn::run_internal {

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  if (abbrev == nullptr) return fmt::format("signal {}", sig);
  return std::string("SIG") + abbrev;
}

ExitEvent DescribeExit(const EndFacts& facts) {
  ExitEvent event{.trial_id = facts.trial_id, .time = facts.time};
  if (facts.lost) {
    event.kind = ExitKind::kLost;
    event.message = "lost track of the process (reaped elsewhere)";
    return event;
  }
  std::string how;
  if (WIFSIGNALED(facts.wait_status)) {
    event.signal = WTERMSIG(facts.wait_status);
    how = "killed by " + SignalName(*event.signal);
  } else {
    event.exit_code = WEXITSTATUS(facts.wait_status);
    how = fmt::format("exit {}", *event.exit_code);
  }
  switch (facts.cause) {
    case EndCause::kStopped:
      event.kind = ExitKind::kStopped;
      event.message = "stopped (" + how + ")";
      break;
    case EndCause::kTimedOut:
      event.kind = ExitKind::kTimedOut;
      event.message = fmt::format("timed out after {} s ({})", facts.timeout_s.value_or(0.0), how);
      break;
    case EndCause::kNone:
      event.kind = event.signal ? ExitKind::kSignaled : ExitKind::kExited;
      event.message = how;
      break;
  }
  return event;
}

}  // namespace cairn::run_internal
