// Finding the trial a TrialRef names and loading it with its context.
#pragma once

#include "cairn/diff.h"
#include "cairn/query.h"

namespace cairn::query {

// An index holding just the trial `ref` names (and its study), with blobs
// resolved and a metric summary. kNotFound when there is no such trial, or
// (study or study ARK) when the study has no completed trial with a value.
Result<TrialIndex> LoadTrial(Store& store, const TrialRef& ref);

}  // namespace cairn::query
