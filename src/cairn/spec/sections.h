// Internal: readers for the sections of a study file other than `space`.
//
// Each reads one top-level field into `spec` and returns a positioned error
// (see yaml_context.h) for the first mistake it finds.
#pragma once

#include "cairn/spec.h"
#include "cairn/spec/yaml_context.h"

namespace cairn::spec_internal {

// objective: {metric, direction, step}
Status ReadObjective(const YamlContext& ctx, const Field& field, StudySpec& spec);
// metrics: {patterns: [RE2 with named groups, ...]}
Status ReadMetrics(const YamlContext& ctx, const Field& field, StudySpec& spec);
// budget: {trials, parallel, max_steps, timeout, grace, max_retries}
Status ReadBudget(const YamlContext& ctx, const Field& field, StudySpec& spec);
// resources: {gpus}
Status ReadResources(const YamlContext& ctx, const Field& field, StudySpec& spec);

// sampler / pruner / executor: a name, or a map with `name` whose other keys
// become the *_options JSON. A sampler's `seed` key sets spec.seed.
Status ReadSampler(const YamlContext& ctx, const Field& field, StudySpec& spec);
Status ReadPruner(const YamlContext& ctx, const Field& field, StudySpec& spec);
Status ReadExecutor(const YamlContext& ctx, const Field& field, StudySpec& spec);
// Builds the sampler and the pruner once, so a wrong option is an error at
// its place in the file rather than when the study starts.
Status CheckPluginOptions(const YamlContext& ctx, const MapFields& top, const StudySpec& spec);

// A non-negative integer seed.
Result<uint64_t> ReadSeed(const YamlContext& ctx, const Field& field);

}  // namespace cairn::spec_internal
