// The body of BenchIngest over an already open Store, so tests can time a
// store opened with non-default options (synchronous=NORMAL vs FULL).
#pragma once

#include "cairn/store.h"
#include "cairn/store_bench.h"

namespace cairn::store {

// Creates a fresh study and trial in `store` and appends `points` points of
// key "loss" in batches of `batch`; times only the AppendMetrics calls.
Result<IngestBenchResult> BenchIngestInto(Store& store, int64_t points, int64_t batch);

}  // namespace cairn::store
