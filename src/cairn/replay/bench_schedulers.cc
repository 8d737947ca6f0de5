// RunSchedulerBench: orders, one study per scheduler and repeat, averages.
#include "cairn/bench_schedulers.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "cairn/hash.h"
#include "cairn/replay/bench_study.h"
#include "cairn/schedule/param_features.h"

namespace cairn {
namespace {

Status ValidateOptions(const SchedulerBenchOptions& o) {
  if (o.curves.empty()) return InvalidArgument("bench schedulers: no curve file given");
  if (o.n < 1) return InvalidArgument(fmt::format("bench schedulers: n must be >= 1, got {}", o.n));
  if (o.repeats < 1) {
    return InvalidArgument(fmt::format("bench schedulers: repeats must be >= 1, got {}", o.repeats));
  }
  if (o.workers < 1) {
    return InvalidArgument(fmt::format("bench schedulers: workers must be >= 1, got {}", o.workers));
  }
  if (o.schedulers.empty()) return InvalidArgument("bench schedulers: no schedulers given");
  if (!o.scheduler_options.is_null() && !o.scheduler_options.is_object()) {
    return InvalidArgument("bench schedulers: scheduler_options must map scheduler names to options");
  }
  return Status::Ok();
}

// Sums over the repeats of one scheduler.
struct Totals {
  double saved = 0, regret = 0, regret_norm = 0, found = 0, seconds = 0;
  int64_t used = 0, full = 0;

  void Add(const replay::StudyOutcome& s) {
    used += s.epochs_used;
    full += s.epochs_full;
    saved += s.epochs_full > 0 ? 1.0 - double(s.epochs_used) / double(s.epochs_full) : 0.0;
    regret += s.regret;
    regret_norm += s.regret_norm;
    found += s.found_best ? 1.0 : 0.0;
    seconds += s.seconds;
  }

  nlohmann::json Row(const std::string& name, int repeats) const {
    const double k = repeats;
    return {{"name", name},
            {"saved_fraction", saved / k},
            {"regret", regret / k},
            {"regret_norm", regret_norm / k},
            {"found_best", found / k},
            {"epochs_used", double(used) / k},
            {"epochs_full", double(full) / k},
            {"seconds", seconds / k}};
  }
};

Result<std::unique_ptr<Scheduler>> Make(const SchedulerBenchOptions& o, const std::string& name,
                                        const SchedulerContext& context) {
  nlohmann::json options = nlohmann::json::object();
  if (o.scheduler_options.is_object() && o.scheduler_options.contains(name)) {
    options = o.scheduler_options[name];
  }
  auto made = o.make_scheduler ? o.make_scheduler(name, context, options)
                               : MakeScheduler(name, context, options);
  if (!made.ok()) {
    // "predictive scheduler option level: ..." names the rule already.
    const bool named = made.status().message().starts_with(name + " scheduler");
    return made.status().WithContext(named ? std::string("bench schedulers") : "bench schedulers: scheduler " + name);
  }
  return made;
}

}  // namespace

std::vector<size_t> BenchOrder(const std::vector<CurveRecord>& curves, uint64_t r, int n) {
  std::vector<std::pair<std::string, size_t>> keyed;
  keyed.reserve(curves.size());
  for (size_t i = 0; i < curves.size(); ++i) {
    keyed.emplace_back(Sha256Hex(fmt::format("{}:{}", r, curves[i].id)), i);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<size_t> order;
  for (size_t i = 0; i < keyed.size() && i < static_cast<size_t>(std::max(n, 0)); ++i) {
    order.push_back(keyed[i].second);
  }
  return order;
}

Result<nlohmann::json> RunSchedulerBench(const SchedulerBenchOptions& options,
                                         std::function<void(std::string)> progress) {
  CAIRN_TRY(ValidateOptions(options));
  CAIRN_ASSIGN_OR_RETURN(auto loaded, ReadCurvesFile(options.curves));
  CAIRN_TRY(CheckOneTask(loaded, options.curves.string()));
  // A configuration is a whole curve: one cut short in the record (a study's
  // stopped or failed trial) has no final value to find or to lose. The peer
  // script leaves the same ones out, so the orders stay the same.
  const auto cut = std::erase_if(loaded, [](const CurveRecord& c) { return !RanToItsEnd(c); });
  if (loaded.empty()) {
    return InvalidArgument(fmt::format("{}: all {} curves were cut short (stopped or failed); a benchmark needs "
                                       "curves that ran to their end", options.curves.string(), cut));
  }
  if (progress && cut > 0) {
    progress(fmt::format("left out {} curves cut short in the record (stopped or failed): they have no final value",
                         cut));
  }
  auto curves = std::make_shared<const std::vector<CurveRecord>>(std::move(loaded));
  const Direction direction = (*curves)[0].direction;
  const int n = std::min<int>(options.n, static_cast<int>(curves->size()));
  int64_t longest = 0;
  for (const auto& c : *curves) longest = std::max<int64_t>(longest, StepsReached(c, c.values.size()));

  // Every rule and its options are checked before any replays: a typo in
  // the last one must not cost the others' run first.
  for (const std::string& name : options.schedulers) {
    CAIRN_TRY(Make(options, name, {direction, std::max<int64_t>(longest, 1), options.seed}).status());
  }
  if (progress && n < options.n) {
    progress(fmt::format("{} holds {} configurations: each study uses all of them, not {}",
                         options.curves.string(), n, options.n));
  }

  // Orders depend on the repeat only: compute them once for all schedulers.
  std::vector<std::vector<size_t>> orders;
  for (int k = 0; k < options.repeats; ++k) orders.push_back(BenchOrder(*curves, options.seed + k, n));

  const SearchSpace space = SpaceOfCurves(*curves);
  nlohmann::json rows = nlohmann::json::array();
  for (const std::string& name : options.schedulers) {
    Totals totals;
    for (int k = 0; k < options.repeats; ++k) {
      SchedulerContext context{direction, std::max<int64_t>(longest, 1), options.seed + k};
      context.space = space;
      CAIRN_ASSIGN_OR_RETURN(auto scheduler, Make(options, name, context));
      auto study = replay::ReplayStudy(curves, orders[k], *scheduler, direction, options.workers);
      totals.Add(study);
      if (progress) {
        progress(fmt::format("{}: repeat {}/{}: saved {:.3f}, regret {:.4g}", name, k + 1,
                             options.repeats,
                             study.epochs_full ? 1.0 - double(study.epochs_used) / study.epochs_full : 0.0,
                             study.regret));
      }
    }
    rows.push_back(totals.Row(name, options.repeats));
    // Which options a row ran with, so a run with a variant's options is not
    // read later as the rule's defaults.
    if (options.scheduler_options.is_object() && options.scheduler_options.contains(name)) {
      rows.back()["options"] = options.scheduler_options[name];
    }
  }
  nlohmann::json out{{"curves", options.curves.string()},
                     {"n", n},
                     {"repeats", options.repeats},
                     {"seed", options.seed},  // the orders are seed .. seed + repeats - 1
                     {"workers", options.workers},
                     {"metric", (*curves)[0].metric},
                     {"mode", CurveModeName(direction)},
                     {"cut_short", cut},
                     {"schedulers", std::move(rows)}};
  // The parameters the predictive rule read (the file's space), as replay
  // says them: a stray string that made a number a label shows here.
  const bool predictive = std::find(options.schedulers.begin(), options.schedulers.end(), "predictive") !=
                          options.schedulers.end();
  const nlohmann::json predictive_options =
      options.scheduler_options.is_object() ? options.scheduler_options.value("predictive", nlohmann::json::object())
                                            : nlohmann::json::object();
  if (predictive && predictive_options.is_object() && predictive_options.value("params", "use") == "use") {
    const schedule::ParamFeatures features(space);
    out["parameters"] = {{"read", features.Read()}, {"left_out", features.LeftOut()}};
  }
  return out;
}

}  // namespace cairn
