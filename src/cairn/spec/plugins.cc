// The sampler, pruner and executor sections: a name plus free-form options.
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "cairn/sampler.h"
#include "cairn/scheduler.h"
#include "cairn/spec/sections.h"

namespace cairn::spec_internal {
namespace {

struct Plugin {
  std::string name;
  MapFields map;                      // empty when given as a plain name
};

bool IsValidPluginName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

// `section: name` or `section: {name: ..., key: value, ...}`. With a
// non-empty `names`, the name must be one of them.
Result<Plugin> ReadPlugin(const YamlContext& ctx, const Field& field, const std::vector<std::string_view>& names) {
  std::string expected = names.empty() ? std::string("a name") : "one of " + JoinChoices(names);
  Plugin plugin;
  YAML::Mark name_mark = field.ValueMark();
  if (field.value.IsScalar()) {
    CAIRN_ASSIGN_OR_RETURN(plugin.name, ctx.String(field));
  } else {
    CAIRN_ASSIGN_OR_RETURN(plugin.map, ctx.Map(field, fmt::format("'{}'", field.key), {}, /*open=*/true));
    CAIRN_ASSIGN_OR_RETURN(const Field* name, ctx.Require(plugin.map, "name", "'name: <" + field.key + ">'"));
    CAIRN_ASSIGN_OR_RETURN(plugin.name, ctx.String(*name));
    name_mark = name->ValueMark();
  }
  bool known = names.empty() ? IsValidPluginName(plugin.name)
                             : std::find(names.begin(), names.end(), plugin.name) != names.end();
  if (!known) {
    std::string wrong = fmt::format("unknown {} '{}'", field.key, plugin.name);
    std::string hint = ClosestKey(plugin.name, names);
    if (!hint.empty()) wrong += fmt::format(" (did you mean '{}'?)", hint);
    return ctx.Error(name_mark, wrong, expected);
  }
  return plugin;
}

// Every key but `name` and those in `skip`, as JSON.
Result<nlohmann::json> Options(const YamlContext& ctx, const Plugin& plugin, const std::vector<std::string_view>& skip) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : plugin.map.fields()) {
    if (f.key == "name" || std::find(skip.begin(), skip.end(), f.key) != skip.end()) continue;
    CAIRN_ASSIGN_OR_RETURN(out[f.key], ctx.Json(f.value, f.ValueMark(), f.Label()));
  }
  return out;
}

// Type checks for the Slurm keys Cairn itself reads; others pass through.
Status CheckSlurmOptions(const YamlContext& ctx, const MapFields& map) {
  for (const auto& f : map.fields()) {
    if (f.key == "partition" || f.key == "account" || f.key == "qos" || f.key == "time") {
      CAIRN_TRY(ctx.String(f).status());
    } else if (f.key == "sbatch") {
      CAIRN_TRY(ctx.StringList(f).status());
    } else if (f.key == "gpus_per_trial" || f.key == "pack") {
      CAIRN_ASSIGN_OR_RETURN(int64_t n, ctx.Int(f));
      int64_t min = f.key == "pack" ? 1 : 0;
      if (n < min) return ctx.Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), n), fmt::format("an integer >= {}", min));
    }
  }
  return Status::Ok();
}

// Where in `section` (the sampler's or pruner's field) an error from
// building that plugin points: at the option it names first (its key when it
// is unknown, else its value), else at the section.
YAML::Mark MarkOfOption(const Field& section, const std::string& message) {
  YAML::Mark mark = section.ValueMark();
  if (!section.value.IsMap()) return mark;
  size_t first = std::string::npos;
  for (const auto& kv : section.value) {
    if (!kv.first.IsScalar()) continue;
    const std::string key = kv.first.Scalar();
    if (key == "name") continue;
    // The key as a whole word: "reduction_factor" must not match inside "min_reduction_factor".
    for (size_t at = message.find(key); at != std::string::npos; at = message.find(key, at + 1)) {
      auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
      bool whole = (at == 0 || !word(message[at - 1])) &&
                   (at + key.size() == message.size() || !word(message[at + key.size()]));
      if (!whole) continue;
      if (at < first) {
        first = at;
        bool unknown = message.find("unknown option") != std::string::npos;
        mark = unknown ? kv.first.Mark() : kv.second.Mark();
      }
      break;
    }
  }
  return mark;
}

// The local executor's options: parse_stderr (a boolean) and drain_s (a
// number of seconds >= 0); nothing else.
Status CheckLocalOptions(const YamlContext& ctx, const MapFields& map) {
  for (const auto& f : map.fields()) {
    if (f.key == "name") continue;
    if (f.key == "parse_stderr") {
      if (!f.value.IsScalar() || (f.value.Scalar() != "true" && f.value.Scalar() != "false")) {
        return ctx.Error(f.ValueMark(), fmt::format("{} is '{}'", f.Label(), f.value.IsScalar() ? f.value.Scalar() : "?"),
                         "true or false");
      }
    } else if (f.key == "drain_s") {
      double v = -1;
      try {
        v = f.value.as<double>();
      } catch (const std::exception&) {
      }
      if (!(v >= 0) || !std::isfinite(v)) {
        return ctx.Error(f.ValueMark(), fmt::format("{} is not a number of seconds >= 0", f.Label()),
                         "a number >= 0");
      }
    } else {
      std::string wrong = fmt::format("unknown option '{}' of the local executor", f.key);
      std::string hint = ClosestKey(f.key, {"parse_stderr", "drain_s"});
      if (!hint.empty()) wrong += fmt::format(" (did you mean '{}'?)", hint);
      return ctx.Error(f.key_node.Mark(), wrong, "parse_stderr or drain_s");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckPluginOptions(const YamlContext& ctx, const MapFields& top, const StudySpec& spec) {
  if (const Field* f = top.Find("sampler")) {
    auto sampler = MakeSampler(spec.sampler, spec.space, spec.direction, spec.seed, spec.sampler_options);
    if (!sampler.ok() && sampler.status().code() == StatusCode::kInvalidArgument) {
      return ctx.ErrorAt(MarkOfOption(*f, sampler.status().message()), sampler.status().message());
    }
  }
  if (const Field* f = top.Find("pruner")) {
    SchedulerContext context{spec.direction, spec.max_steps, spec.seed, spec.lower_bound, spec.upper_bound};
    context.space = spec.space;
    auto scheduler = MakeScheduler(spec.pruner, context, spec.pruner_options);
    if (!scheduler.ok() && scheduler.status().code() == StatusCode::kInvalidArgument) {
      return ctx.ErrorAt(MarkOfOption(*f, scheduler.status().message()), scheduler.status().message());
    }
  }
  return Status::Ok();
}

Status ReadSampler(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(Plugin plugin, ReadPlugin(ctx, field, {"random", "tpe", "grid"}));
  spec.sampler = plugin.name;
  if (const Field* seed = plugin.map.Find("seed")) {
    CAIRN_ASSIGN_OR_RETURN(spec.seed, ReadSeed(ctx, *seed));
  }
  CAIRN_ASSIGN_OR_RETURN(spec.sampler_options, Options(ctx, plugin, {"seed"}));
  return Status::Ok();
}

Status ReadPruner(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(Plugin plugin, ReadPlugin(ctx, field, {"none", "median", "asha", "hyperband", "predictive"}));
  spec.pruner = plugin.name;
  CAIRN_ASSIGN_OR_RETURN(spec.pruner_options, Options(ctx, plugin, {}));
  return Status::Ok();
}

Status ReadExecutor(const YamlContext& ctx, const Field& field, StudySpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(Plugin plugin, ReadPlugin(ctx, field, {"local", "slurm"}));
  spec.executor = plugin.name;
  if (plugin.name == "slurm") CAIRN_TRY(CheckSlurmOptions(ctx, plugin.map));
  if (plugin.name == "local") CAIRN_TRY(CheckLocalOptions(ctx, plugin.map));
  CAIRN_ASSIGN_OR_RETURN(spec.executor_options, Options(ctx, plugin, {}));
  return Status::Ok();
}

}  // namespace cairn::spec_internal
