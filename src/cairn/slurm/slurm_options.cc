// The `executor: slurm` options of a study file.
#include <cmath>
#include <functional>

#include <fmt/format.h>
#include <re2/re2.h>

#include "cairn/metric_parser.h"
#include "cairn/slurm_executor.h"

namespace cairn {
namespace {

using nlohmann::json;

constexpr int kMaxPack = 256;

Status Bad(const std::string& key, const std::string& what) {
  return InvalidArgument(fmt::format("executor option '{}': {}", key, what));
}

Result<std::string> String(const std::string& key, const json& v) {
  if (!v.is_string()) return Bad(key, "expected a string");
  return v.get<std::string>();
}

Result<int> Count(const std::string& key, const json& v, int min) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > 1000000) {
    return Bad(key, fmt::format("expected a whole number >= {}", min));
  }
  return v.get<int>();
}

Result<std::vector<std::string>> Strings(const std::string& key, const json& v) {
  if (!v.is_array()) return Bad(key, "expected a list of strings");
  std::vector<std::string> out;
  for (const json& item : v) {
    if (!item.is_string()) return Bad(key, "expected a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// "90" / 90 (minutes), "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS".
Result<int64_t> TimeSeconds(const std::string& key, const json& v) {
  if (v.is_number_integer()) {
    if (v.get<int64_t>() <= 0) return Bad(key, "expected a positive number of minutes");
    return v.get<int64_t>() * 60;
  }
  if (!v.is_string()) return Bad(key, "expected minutes or \"HH:MM:SS\"");
  std::string text = v.get<std::string>();
  int64_t days = 0;
  std::string rest = text;
  if (size_t dash = text.find('-'); dash != std::string::npos) {
    if (!RE2::FullMatch(text.substr(0, dash), R"((\d{1,4}))", &days)) return Bad(key, "bad days in '" + text + "'");
    rest = text.substr(dash + 1);
  }
  int64_t a = 0, b = 0, c = 0;
  int64_t seconds = 0;
  bool has_days = text.find('-') != std::string::npos;
  if (RE2::FullMatch(rest, R"((\d+):(\d+):(\d+))", &a, &b, &c)) {
    seconds = a * 3600 + b * 60 + c;
  } else if (RE2::FullMatch(rest, R"((\d+):(\d+))", &a, &b)) {
    seconds = has_days ? a * 3600 + b * 60 : a * 60 + b;
  } else if (RE2::FullMatch(rest, R"((\d+))", &a)) {
    seconds = has_days ? a * 3600 : a * 60;
  } else {
    return Bad(key, "expected minutes, \"HH:MM:SS\" or \"D-HH:MM:SS\", got '" + text + "'");
  }
  seconds += days * 86400;
  if (seconds <= 0) return Bad(key, "the time limit must be positive");
  return seconds;
}

using Setter = std::function<Status(const json&, SlurmExecutorOptions&)>;

template <typename T, typename Parse>
Setter Set(std::string key, T SlurmExecutorOptions::*field, Parse parse) {
  return [key, field, parse](const json& v, SlurmExecutorOptions& o) -> Status {
    auto r = parse(key, v);
    if (!r.ok()) return r.status();
    o.*field = std::move(r).value();
    return Status::Ok();
  };
}

const std::map<std::string, Setter>& Setters() {
  static const auto* setters = new std::map<std::string, Setter>{
      {"partition", Set("partition", &SlurmExecutorOptions::partition, String)},
      {"account", Set("account", &SlurmExecutorOptions::account, String)},
      {"qos", Set("qos", &SlurmExecutorOptions::qos, String)},
      {"mem", Set("mem", &SlurmExecutorOptions::mem, String)},
      {"step_key", Set("step_key", &SlurmExecutorOptions::step_key, String)},
      {"sbatch", Set("sbatch", &SlurmExecutorOptions::sbatch_args, Strings)},
      {"patterns", Set("patterns", &SlurmExecutorOptions::patterns, Strings)},
      {"gpus_per_trial", Set("gpus_per_trial", &SlurmExecutorOptions::gpus_per_trial,
                             [](const std::string& k, const json& v) { return Count(k, v, 0); })},
      {"cpus_per_trial", Set("cpus_per_trial", &SlurmExecutorOptions::cpus_per_trial,
                             [](const std::string& k, const json& v) { return Count(k, v, 1); })},
      {"pack", Set("pack", &SlurmExecutorOptions::pack,
                   [](const std::string& k, const json& v) { return Count(k, v, 1); })},
      {"time", [](const json& v, SlurmExecutorOptions& o) -> Status {
         CAIRN_ASSIGN_OR_RETURN(o.time_s, TimeSeconds("time", v));
         return Status::Ok();
       }},
      {"requeue", [](const json& v, SlurmExecutorOptions& o) -> Status {
         if (!v.is_boolean()) return Bad("requeue", "expected true or false");
         o.requeue = v.get<bool>();
         return Status::Ok();
       }},
      {"pack_wait", [](const json& v, SlurmExecutorOptions& o) -> Status {
         if (!v.is_number() || !(v.get<double>() >= 0)) return Bad("pack_wait", "expected seconds >= 0");
         o.pack_wait_s = v.get<double>();
         return Status::Ok();
       }},
      {"poll_interval", [](const json& v, SlurmExecutorOptions& o) -> Status {
         if (!v.is_number() || !(v.get<double>() > 0)) return Bad("poll_interval", "expected seconds > 0");
         o.poll_interval_s = v.get<double>();
         return Status::Ok();
       }},
  };
  return *setters;
}

}  // namespace

Result<SlurmExecutorOptions> SlurmOptionsFromJson(const nlohmann::json& executor_options) {
  SlurmExecutorOptions options;
  if (executor_options.is_null()) return options;
  if (!executor_options.is_object()) return InvalidArgument("executor options: expected a map of options");
  for (const auto& [key, value] : executor_options.items()) {
    auto it = Setters().find(key);
    if (it == Setters().end()) {
      return InvalidArgument(fmt::format(
          "executor option '{}' is not a Slurm option (partition, account, qos, time, gpus_per_trial, "
          "cpus_per_trial, mem, sbatch, pack, pack_wait, requeue, poll_interval, step_key, patterns)",
          key));
    }
    CAIRN_TRY(it->second(value, options));
  }
  CAIRN_TRY(ValidateSlurmExecutorOptions(options));
  return options;
}

Status ValidateSlurmExecutorOptions(const SlurmExecutorOptions& o) {
  // More than a node's worth of slots is a typo, not a node.
  if (o.pack < 1 || o.pack > kMaxPack) return Bad("pack", fmt::format("must be 1 to {}", kMaxPack));
  if (!(o.pack_wait_s >= 0) || !std::isfinite(o.pack_wait_s)) return Bad("pack_wait", "must be >= 0");
  if (!(o.poll_interval_s > 0) || !std::isfinite(o.poll_interval_s)) return Bad("poll_interval", "must be > 0");
  if (o.gpus_per_trial < 0) return Bad("gpus_per_trial", "must be >= 0");
  if (o.cpus_per_trial < 0) return Bad("cpus_per_trial", "must be >= 0");
  if (o.time_s && *o.time_s <= 0) return Bad("time", "must be positive");
  if (!o.mem.empty() && !RE2::FullMatch(o.mem, R"(\d+[KMGTkmgt]?)")) {
    return Bad("mem", fmt::format("'{}' is not a size such as 4G, 500M or 2048", o.mem));
  }
  for (const auto& [key, value] : {std::pair{"partition", &o.partition}, {"account", &o.account}, {"qos", &o.qos}}) {
    if (value->find_first_of(" \t\n=") != std::string::npos) {
      return Bad(key, fmt::format("'{}' has a space or '='", *value));
    }
  }
  auto parser = MetricParser::Create(o.step_key, o.patterns);
  if (!parser.ok()) return parser.status().WithContext("executor option 'patterns'");
  return Status::Ok();
}

}  // namespace cairn
