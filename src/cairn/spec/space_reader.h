// Internal: the `space:` section of a study file.
#pragma once

#include "cairn/space.h"
#include "cairn/status.h"
#include "cairn/spec/yaml_context.h"

namespace cairn::spec_internal {

// Reads the ordered map of parameters under `space:`. Checks each
// parameter's keys for its type, bounds (low < high, log needs low > 0),
// steps, choices (non-empty, no duplicates) and conditions (on an earlier
// parameter, with values that parameter can take).
Result<SearchSpace> ReadSpace(const YamlContext& ctx, const Field& field);

}  // namespace cairn::spec_internal
