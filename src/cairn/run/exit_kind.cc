// Names of the executor's closed types (declared in cairn/executor.h).
#include "cairn/executor.h"

namespace cairn {

std::string_view ExitKindName(ExitKind kind) {
  switch (kind) {
    case ExitKind::kExited: return "exited";
    case ExitKind::kSignaled: return "signaled";
    case ExitKind::kStopped: return "stopped";
    case ExitKind::kTimedOut: return "timed_out";
    case ExitKind::kLaunchFailed: return "launch_failed";
    case ExitKind::kLost: return "lost";
  }
  return "unknown";
}

}  // namespace cairn
