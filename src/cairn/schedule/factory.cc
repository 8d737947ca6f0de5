// MakeScheduler, the "none" rule and Decision::ToJson.
#include <fmt/format.h>

#include "cairn/scheduler.h"
#include "cairn/schedule/asha.h"
#include "cairn/schedule/hyperband.h"
#include "cairn/schedule/median.h"
#include "cairn/schedule/options_reader.h"
#include "cairn/schedule/predictive.h"

namespace cairn {

nlohmann::json Decision::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  j["action"] = action == Action::kStop ? "stop" : "continue";
  if (!rule.empty()) j["rule"] = rule;
  if (!reason.empty()) j["reason"] = reason;
  if (predicted) j["predicted"] = *predicted;
  if (lower) j["lower"] = *lower;
  if (upper) j["upper"] = *upper;
  if (threshold) j["threshold"] = *threshold;
  if (extrapolated) j["extrapolated"] = true;
  if (kept) j["kept"] = true;
  if (probability) j["probability"] = *probability;
  return j;
}

namespace {

class NoneScheduler final : public Scheduler {
 public:
  Decision OnReport(int64_t, int64_t, double) override { return Decision::Continue(); }
  std::string Name() const override { return "none"; }
};

// A rung rule whose first rung lies at or past max_steps judges no trial
// (no rule stops a trial at max_steps: it is done there): it would run as
// "none" under the rule's name. Hyperband's max_resource does not change
// that: its brackets' rungs start at min_resource whatever it says.
Status FirstRungBeforeMaxSteps(const std::string& name, int64_t min_resource, const SchedulerContext& context) {
  if (!context.max_steps || min_resource < *context.max_steps) return Status::Ok();
  return InvalidArgument(fmt::format("{} scheduler option min_resource: {} is not before the study's max_steps {}, so "
                                     "no trial would be judged at a rung and nothing would stop; expected at most {}",
                                     name, min_resource, *context.max_steps, *context.max_steps - 1));
}

// A rule decides at steps from `first` up to, not at, max_steps (a trial
// there is done): a first step at or past it, when the user set it, would
// stop nothing. (A default may: predictive's min_steps 1 in a study of one step.)
Status DecidesBeforeMaxSteps(const std::string& name, const char* option, int64_t first,
                             const SchedulerContext& context, const nlohmann::json& options) {
  const bool given = options.is_object() && options.contains(option);
  if (!given || !context.max_steps || first < *context.max_steps) return Status::Ok();
  return InvalidArgument(fmt::format("{} scheduler option {}: {} is not before the study's max_steps {}, so the rule "
                                     "would never decide and nothing would stop; expected at most {}",
                                     name, option, first, *context.max_steps, *context.max_steps - 1));
}

Result<std::unique_ptr<Scheduler>> MakeUnchecked(const std::string& name,
                                                 const SchedulerContext& context,
                                                 const nlohmann::json& options, nlohmann::json* settings) {
  using namespace schedule;
  if (name == "none") {
    CAIRN_TRY(OptionsReader("none", options).Finish());
    if (settings) *settings = nlohmann::json::object();
    return std::unique_ptr<Scheduler>(new NoneScheduler());
  }
  if (name == "median") {
    CAIRN_ASSIGN_OR_RETURN(MedianOptions o, MedianOptions::FromJson(options, settings));
    CAIRN_TRY(DecidesBeforeMaxSteps(name, "warmup_steps", o.warmup_steps, context, options));
    return std::unique_ptr<Scheduler>(new MedianScheduler(context, o));
  }
  if (name == "asha") {
    CAIRN_ASSIGN_OR_RETURN(AshaOptions o, AshaOptions::FromJson(options, settings));
    if (o.min_resource) CAIRN_TRY(FirstRungBeforeMaxSteps(name, *o.min_resource, context));
    return std::unique_ptr<Scheduler>(new AshaScheduler(context, o));
  }
  if (name == "hyperband") {
    CAIRN_ASSIGN_OR_RETURN(HyperbandOptions o, HyperbandOptions::FromJson(options, settings));
    CAIRN_TRY(FirstRungBeforeMaxSteps(name, o.min_resource, context));
    return std::unique_ptr<Scheduler>(new HyperbandScheduler(context, o));
  }
  if (name == "predictive") {
    CAIRN_ASSIGN_OR_RETURN(PredictiveOptions o, PredictiveOptions::FromJson(options, context, settings));
    CAIRN_TRY(DecidesBeforeMaxSteps(name, "min_steps", o.min_steps, context, options));
    return std::unique_ptr<Scheduler>(new PredictiveScheduler(context, o));
  }
  return InvalidArgument(fmt::format(
      "unknown scheduler \"{}\" (expected none, median, asha, hyperband or predictive)", name));
}

}  // namespace

Result<nlohmann::json> SchedulerSettings(const std::string& name, const nlohmann::json& options) {
  nlohmann::json settings;
  CAIRN_TRY(MakeScheduler(name, SchedulerContext{}, options, &settings).status());
  return settings;
}

Result<std::unique_ptr<Scheduler>> MakeScheduler(const std::string& name,
                                                 const SchedulerContext& context,
                                                 const nlohmann::json& options, nlohmann::json* settings) {
  if (context.max_steps && *context.max_steps < 1) {
    return InvalidArgument(fmt::format("scheduler {}: max_steps must be >= 1, got {}", name,
                                       *context.max_steps));
  }
  try {
    return MakeUnchecked(name, context, options, settings);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(fmt::format("scheduler {} options: {}", name, e.what()));
  }
}

}  // namespace cairn
