// Recovery after a coordinator died: which running trials are really
// orphaned, and the metric lines their logs hold that never reached the store.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/spec.h"
#include "cairn/status.h"
#include "cairn/store.h"
#include "cairn/study/trial_end.h"

namespace cairn::study_internal {

// How long a running trial's heartbeat may be silent before another
// coordinator takes it for lost (heartbeats come every 10 s).
inline constexpr double kHeartbeatTimeoutS = 60.0;

// True when the coordinator named `owner` ("host:pid:start") is gone: on
// this host, its process no longer exists or the pid names a process that
// started after it (pid reuse: a restarted container); elsewhere, its heartbeat is older
// than kHeartbeatTimeoutS, counted from `heard_since` when that is later:
// the time the caller's own view of the store resumed after a stall (a
// store that answered no one for minutes silenced every heartbeat, and a
// coordinator held up as long is not gone).
bool OwnerIsGone(const TrialRecord& trial, double now_wall, double heard_since = 0.0);

// A coordinator turn (or one read of the store) longer than this was a
// stall: the store did not answer, or the machine slept.
inline constexpr double kStallS = 15.0;

// Kills what is left of a trial whose coordinator died, when it ran on this
// host: the process group `attrs.pid` when that process is the trial
// (IsTrialProcess: the pid may name another process by now), and every
// process that left the group but carries the trial's environment
// (TrialMarks). Without its coordinator nobody reads its output, and it
// will be run again. True when the trial's main process was still running:
// an exit record in its folder is then not its end.
bool KillOrphan(const TrialRecord& trial);

// The environment entries that mark trial `trial`'s processes
// (CAIRN_TRIAL_ID, and CAIRN_TRIAL_DIR from attrs.trial_dir when known:
// trial ids of two stores can be equal, their folders cannot).
std::vector<std::string> TrialMarksOf(const TrialRecord& trial);

// Whether process `pid` is the trial's program: its environment
// (/proc/PID/environ) holds TrialMarksOf(trial). False when it is gone,
// unreadable or another process that reused the pid.
bool IsTrialProcess(int pid, const TrialRecord& trial);

// Reads the trial's stdout.log (in attrs.trial_dir) with the study's metric
// parser and appends every report whose (key, step) the store lacks: the
// lines a trial printed before its coordinator was killed are never lost.
// Returns the number of points added.
Result<int64_t> ReingestTrialLog(Store& store, const StudySpec& spec, const TrialRecord& trial);

// Why Cairn asked a trial to stop, kept beside its logs (cairn-stop.json)
// when the coordinator asks: with the executor's exit record, a resume
// records the end that coordinator would have (a rule's stop, a NaN,
// max_steps) instead of taking the trial for lost and running it again.
inline constexpr const char* kStopRecordFile = "cairn-stop.json";
struct StopRecord {
  StopCause cause = StopCause::kNone;
  std::string detail;             // the sentence the end reason gives
  std::optional<int64_t> step;    // the step the stop was decided at
  nlohmann::json decision;        // the rule's Decision (scheduler stops), else null
};
// Best effort: the coordinator records the end itself; this is for when it cannot.
void WriteStopRecord(const std::filesystem::path& trial_dir, int64_t trial_id, const StopRecord& stop);
std::optional<StopRecord> ReadStopRecord(const std::filesystem::path& trial_dir, int64_t trial_id);

// A trial whose coordinator is gone, but whose process's end its executor
// recorded beside its logs (ReadExitRecord): records the end that
// coordinator would have, from the record and the trial's points in the
// store (re-ingest its log first), and returns true. A program that ended
// by itself, crashed, timed out, or that Cairn stopped for a reason its
// stop record gives (a rule, a NaN, max_steps) is not run again; its value
// counts the steps up to the max_steps it ran under (attrs.max_steps).
// Without a usable exit record (none, or Cairn stopped it without a stop
// record or for an interrupt), a log that holds a NaN objective still
// fails it, as live; otherwise false, changing nothing: it is lost and run
// again.
// Its end is the record's time, within its start and `now_wall`. With
// `trust_exit_record` false (its process still ran: the program could have
// written the record) only the log counts.
Result<bool> RecordRecoveredEnd(Store& store, const StudySpec& spec, TrialRecord& trial, double now_wall,
                                bool trust_exit_record);

}  // namespace cairn::study_internal
