// How a trial ended, from its wait status and what Cairn did to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cairn/executor.h"

namespace cairn::run_internal {

// Why Cairn signalled a trial, if it did; the first cause wins.
enum class EndCause {
  kNone,      // Cairn never signalled it
  kStopped,   // Stop() / StopAll()
  kTimedOut,  // ran past timeout_s
};

// "SIGSEGV"; "signal 77" for numbers without a name.
std::string SignalName(int sig);

struct EndFacts {
  int64_t trial_id = 0;
  int wait_status = 0;                // from waitpid
  bool lost = false;                  // no wait status: someone else reaped it
  EndCause cause = EndCause::kNone;
  std::optional<double> timeout_s;    // the limit, for the message
  double time = 0.0;
};

// Precedence: lost, then Cairn's cause (a stopped trial that crashed on
// SIGTERM still counts as stopped), then signal, then exit code.
ExitEvent DescribeExit(const EndFacts& facts);

}  // namespace cairn::run_internal
