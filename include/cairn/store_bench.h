// The metric-ingest benchmark behind `cairn bench ingest`.
//
// Writes `points` metric points through the real Store::AppendMetrics path
// and reports the rate. Only the AppendMetrics calls are timed.
//
//   CAIRN_ASSIGN_OR_RETURN(auto r, BenchIngest("sqlite:///tmp/b.db", 1'000'000));
//   fmt::print("{:.0f} points/s\n", r.points_per_second);
#pragma once

#include <cstdint>
#include <string>

#include "cairn/status.h"

namespace cairn {

struct IngestBenchResult {
  int64_t points = 0;              // points written
  double seconds = 0.0;            // time spent inside AppendMetrics
  double points_per_second = 0.0;  // points / seconds
  // CPU time of the calling thread inside AppendMetrics. On a loaded machine
  // wall time includes waiting for a core; this does not (nor fsync waits).
  double cpu_seconds = 0.0;
};

// Opens (creating) the store at `store_url`, creates a fresh study
// ("bench-ingest-<time>") with one trial, and appends metric key "loss" at
// steps 0..points-1 in batches of `batch` points (one transaction each).
// REQUIRES: points > 0, batch > 0.
Result<IngestBenchResult> BenchIngest(const std::string& store_url, int64_t points,
                                      int64_t batch = 10000);

}  // namespace cairn
