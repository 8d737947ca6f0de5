// How a trial's end is classified from its exit and what Cairn asked of it.
#include "cairn/study/trial_end.h"

#include <gtest/gtest.h>

namespace cairn::study_internal {
namespace {

ExitEvent Exited(int code) {
  return ExitEvent{1, ExitKind::kExited, code, std::nullopt, "exit " + std::to_string(code), 0};
}

TEST(ClassifyTrialEnd, AnInterruptStopsARunningProgram) {
  ExitEvent stopped{1, ExitKind::kStopped, std::nullopt, 15, "stopped", 0};
  EXPECT_EQ(ClassifyTrialEnd(stopped, StopCause::kInterrupt, "interrupted").state, TrialState::kInterrupted);
}

// Ctrl-C while a finished program's output was still draining: it had
// exited by itself, so it completed (or failed) on its own and is not
// recorded as interrupted, to be run again.
TEST(ClassifyTrialEnd, AProgramThatEndedBeforeTheInterruptKeepsItsOwnEnd) {
  EXPECT_EQ(ClassifyTrialEnd(Exited(0), StopCause::kInterrupt, "interrupted").state, TrialState::kCompleted);
  EXPECT_EQ(ClassifyTrialEnd(Exited(3), StopCause::kInterrupt, "interrupted").state, TrialState::kFailed);
}

TEST(ClassifyTrialEnd, NaturalEnds) {
  EXPECT_EQ(ClassifyTrialEnd(Exited(0), StopCause::kNone, "").state, TrialState::kCompleted);
  EXPECT_EQ(ClassifyTrialEnd(Exited(1), StopCause::kNone, "").state, TrialState::kFailed);
  ExitEvent outside{1, ExitKind::kStopped, std::nullopt, 15, "", 0};
  EXPECT_EQ(ClassifyTrialEnd(outside, StopCause::kNone, "").reason, "stopped from outside Cairn");
}

}  // namespace
}  // namespace cairn::study_internal
