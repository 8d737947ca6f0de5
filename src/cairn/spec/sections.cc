#include "cairn/spec/sections.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "cairn/metric_parser.h"
#include "cairn/spec/scalar_text.h"

namespace cairn::spec_internal {
namespace {

// An integer field that must be at least `min`.
Result<int64_t> IntAtLeast(const YamlContext& ctx, const Field& f, int64_t min) {
  CAIRN_ASSIGN_OR_RETURN(int64_t v, ctx.Int(f));
  if (v < min) return ctx.Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), v), fmt::format("an integer >= {}", min));
  return v;
}

// int fields of StudySpec; larger values are surely mistakes.
Result<int> SmallIntAtLeast(const YamlContext& ctx, const Field& f, int64_t min) {
  constexpr int64_t kMax = 1'000'000'000;
  const std::string expected = fmt::format("an integer from {} below {}", min, kMax);
  // Past int64 too: the limit that matters is this one, not int64's.
  if (f.value.IsScalar()) {
    if (auto d = ParseDoubleText(f.value.Scalar()); d && std::isfinite(*d) && *d >= static_cast<double>(kMax)) {
      return ctx.Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), f.value.Scalar()), expected);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(int64_t v, IntAtLeast(ctx, f, min));
  if (v >= kMax) return ctx.Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), v), expected);
  return static_cast<int>(v);
}

// `bounds: [lo, hi]`: the metric's possible range, null for an open side
// (a loss: [0, null]).
Status ReadBounds(const YamlContext& ctx, const Field& f, StudySpec& spec) {
  const char* expected = "[lower, upper] with numbers or null, e.g. [0, 1] for accuracy or [0, null] for a loss";
  if (!f.value.IsSequence() || f.value.size() != 2) {
    return ctx.Error(f.ValueMark(), fmt::format("{} is not a list of two", f.Label()), expected);
  }
  std::optional<double> sides[2];
  for (size_t i = 0; i < 2; ++i) {
    Field side{i == 0 ? "lower bound" : "upper bound", f.value[i], f.value[i], "objective 'bounds'"};
    if (f.value[i].IsNull()) continue;
    CAIRN_ASSIGN_OR_RETURN(sides[i], ctx.Number(side));
  }
  if (sides[0] && sides[1] && !(*sides[0] < *sides[1])) {
    return ctx.Error(f.ValueMark(), fmt::format("{} has lower {} >= upper {}", f.Label(), *sides[0], *sides[1]),
                     "a lower bound below the upper bound");
  }
  spec.lower_bound = sides[0];
  spec.upper_bound = sides[1];
  return Status::Ok();
}

}  // namespace

Status ReadObjective(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(field, "'objective'", {"metric", "direction", "step", "bounds"}));
  CAIRN_ASSIGN_OR_RETURN(const Field* metric, ctx.Require(map, "metric", "'metric: <name of the reported metric>'"));
  CAIRN_ASSIGN_OR_RETURN(spec.metric, ctx.String(*metric));
  if (spec.metric.empty()) return ctx.Error(metric->ValueMark(), "'metric' is empty", "the name of a reported metric");
  if (const Field* f = map.Find("direction")) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ctx.String(*f));
    auto direction = ParseDirection(text);
    if (!direction) return ctx.Error(f->ValueMark(), fmt::format("{} is '{}'", f->Label(), text), "maximize, minimize, max or min");
    spec.direction = *direction;
  }
  if (const Field* f = map.Find("step")) {
    CAIRN_ASSIGN_OR_RETURN(spec.step_key, ctx.String(*f));
    if (spec.step_key.empty()) return ctx.Error(f->ValueMark(), "'step' is empty", "the name of the step key, e.g. epoch");
    if (spec.step_key == spec.metric) {
      return ctx.Error(f->ValueMark(), fmt::format("'step' is the objective metric '{}' itself", spec.metric),
                       "a different key that counts steps, e.g. epoch");
    }
  }
  if (const Field* f = map.Find("bounds")) CAIRN_TRY(ReadBounds(ctx, *f, spec));
  return Status::Ok();
}

Status ReadMetrics(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(field, "'metrics'", {"patterns"}));
  const Field* patterns = map.Find("patterns");
  if (patterns == nullptr) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> texts, ctx.StringList(*patterns));
  for (size_t i = 0; i < texts.size(); ++i) {
    // Compiled here as the executor will compile it, so a mistake is told
    // at its line before anything (a store, a trial) is made.
    if (auto parser = MetricParser::Create("", {texts[i]}); !parser.ok()) {
      return ctx.Error(patterns->value[i].Mark(), fmt::format("pattern {}: {}", i + 1, parser.status().message()),
                       "an RE2 pattern with named groups such as (?P<val_loss>[0-9.]+)");
    }
    spec.patterns.push_back(MetricPattern{fmt::format("pattern{}", i + 1), texts[i]});
  }
  return Status::Ok();
}

Status ReadBudget(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(field, "'budget'",
                                                {"trials", "parallel", "max_steps", "timeout", "grace", "max_retries"}));
  if (const Field* f = map.Find("trials")) {
    CAIRN_ASSIGN_OR_RETURN(spec.trials, SmallIntAtLeast(ctx, *f, 1));
  }
  if (const Field* f = map.Find("parallel")) {
    CAIRN_ASSIGN_OR_RETURN(spec.parallel, SmallIntAtLeast(ctx, *f, 1));
  }
  if (const Field* f = map.Find("max_steps")) {
    CAIRN_ASSIGN_OR_RETURN(spec.max_steps, IntAtLeast(ctx, *f, 1));
  }
  if (const Field* f = map.Find("max_retries")) {
    CAIRN_ASSIGN_OR_RETURN(spec.max_retries, SmallIntAtLeast(ctx, *f, 0));
  }
  if (const Field* f = map.Find("timeout")) {
    CAIRN_ASSIGN_OR_RETURN(double seconds, ctx.Duration(*f));
    if (seconds <= 0) return ctx.Error(f->ValueMark(), "'timeout' in 'budget' is 0", "a duration above 0 (leave it out for no limit)");
    spec.timeout_s = seconds;
  }
  if (const Field* f = map.Find("grace")) {
    CAIRN_ASSIGN_OR_RETURN(spec.grace_s, ctx.Duration(*f));
  }
  return Status::Ok();
}

Status ReadPacking(const YamlContext& ctx, const MapFields& map, StudySpec& spec) {
  const Field* packing = map.Find("packing");
  if (packing != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(spec.packing, ctx.String(*packing));
    if (spec.packing != "none" && spec.packing != "auto") {
      return ctx.Error(packing->ValueMark(), fmt::format("{} is '{}'", packing->Label(), spec.packing),
                       "none or auto");
    }
  }
  if (const Field* f = map.Find("margin")) {
    CAIRN_ASSIGN_OR_RETURN(spec.packing_margin, ctx.Number(*f));
    if (spec.packing_margin < 0 || spec.packing_margin >= 1) {
      return ctx.Error(f->ValueMark(), fmt::format("{} is {}", f->Label(), spec.packing_margin),
                       "a fraction of GPU memory in [0, 1), e.g. 0.1");
    }
  }
  if (const Field* f = map.Find("max_per_gpu")) {
    CAIRN_ASSIGN_OR_RETURN(spec.max_trials_per_gpu, SmallIntAtLeast(ctx, *f, 1));
  }
  if (spec.packing != "auto") {
    // Both tune automatic packing only: alone they would silently do nothing.
    for (const char* key : {"margin", "max_per_gpu"}) {
      if (const Field* f = map.Find(key)) {
        return ctx.Error(f->key_node.Mark(), fmt::format("{} is set without packing: auto", f->Label()),
                         fmt::format("'packing: auto' beside it ('{}' only tunes automatic packing)", key));
      }
    }
    return Status::Ok();
  }
  // Automatic packing starts with one trial per GPU and decides the share itself.
  const Field* gpus = map.Find("gpus");
  if (gpus != nullptr && spec.gpus_per_trial != 1) {
    return ctx.Error(gpus->ValueMark(), fmt::format("{} is {} with packing: auto", gpus->Label(), spec.gpus_per_trial),
                     "gpus: 1 (or no 'gpus'): packing: auto decides how many trials share a GPU");
  }
  spec.gpus_per_trial = 1;
  return Status::Ok();
}

Status ReadResources(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(field, "'resources'", {"gpus", "packing", "margin", "max_per_gpu"}));
  if (const Field* f = map.Find("gpus")) {
    CAIRN_ASSIGN_OR_RETURN(double gpus, ctx.Number(*f));
    // A fraction shares one GPU between trials; more than one must be whole GPUs.
    if (gpus < 0 || (gpus > 1 && std::trunc(gpus) != gpus)) {
      return ctx.Error(f->ValueMark(), fmt::format("{} is {}", f->Label(), gpus),
                       "0 (CPU only), a fraction of one GPU such as 0.5, or a whole number of GPUs");
    }
    spec.gpus_per_trial = gpus;
  }
  return ReadPacking(ctx, map, spec);
}

Result<uint64_t> ReadSeed(const YamlContext& ctx, const Field& field) {
  // Any 64-bit unsigned seed, as `--seed` takes (beyond what an int64 holds too).
  if (field.value.IsScalar() && field.value.Tag() != "!") {  // unquoted
    const std::string& text = field.value.Scalar();
    uint64_t seed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (ec == std::errc() && end == text.data() + text.size()) return seed;
    // 1e6 and the like, as other integers of the file.
    if (auto d = ParseDoubleText(text); d && std::trunc(*d) == *d && *d >= 0 && *d < 18446744073709551616.0) {
      return static_cast<uint64_t>(*d);
    }
  }
  return ctx.Error(field.ValueMark(), fmt::format("{} is {}", field.Label(), DescribeNode(field.value)),
                   "an integer from 0 to 18446744073709551615");
}

}  // namespace cairn::spec_internal
