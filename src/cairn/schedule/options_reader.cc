#include "cairn/schedule/options_reader.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cairn::schedule {

OptionsReader::OptionsReader(std::string rule, const nlohmann::json& options)
    : rule_(std::move(rule)), options_(options) {}

Status OptionsReader::Error(const std::string& key, const std::string& what) const {
  return InvalidArgument(fmt::format("{} scheduler option {}: {}", rule_, key, what));
}

Status OptionsReader::Int(const std::string& key, int64_t min_value, int64_t* out) {
  seen_.insert(key);
  settings_[key] = *out;
  if (!options_.is_object() || !options_.contains(key)) return Status::Ok();
  const nlohmann::json& v = options_.at(key);
  if (!v.is_number_integer()) {
    // Accept 4.0 for 4, which YAML and JSON writers sometimes produce.
    if (!v.is_number() || std::floor(v.get<double>()) != v.get<double>()) {
      return Error(key, fmt::format("expected an integer, got {}", v.dump()));
    }
  }
  // Beyond int64 (1e30, or an unsigned 2^63 and up) is no count of steps or
  // trials; a cast would wrap or be undefined, so say what was written.
  constexpr double kTwoTo63 = 9223372036854775808.0;
  const bool too_large = v.is_number_unsigned()
                             ? v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                             : v.is_number_float() && std::fabs(v.get<double>()) >= kTwoTo63;
  if (too_large) return Error(key, fmt::format("{} is out of range for an integer option", v.dump()));
  int64_t value = v.is_number_integer() ? v.get<int64_t>() : static_cast<int64_t>(v.get<double>());
  if (value < min_value) return Error(key, fmt::format("must be >= {}, got {}", min_value, value));
  *out = value;
  settings_[key] = value;
  return Status::Ok();
}

Status OptionsReader::Double(const std::string& key, double min_value, double max_value,
                             double* out) {
  seen_.insert(key);
  settings_[key] = *out;
  if (!options_.is_object() || !options_.contains(key)) return Status::Ok();
  const nlohmann::json& v = options_.at(key);
  if (!v.is_number()) return Error(key, fmt::format("expected a number, got {}", v.dump()));
  double value = v.get<double>();
  if (!(value >= min_value && value <= max_value)) {
    return Error(key, fmt::format("must be in [{}, {}], got {}", min_value, max_value, value));
  }
  *out = value;
  settings_[key] = value;
  return Status::Ok();
}

Status OptionsReader::Choice(const std::string& key, const std::vector<std::string>& allowed,
                             std::string* out) {
  seen_.insert(key);
  settings_[key] = *out;
  if (!options_.is_object() || !options_.contains(key)) return Status::Ok();
  const nlohmann::json& v = options_.at(key);
  for (const std::string& a : allowed) {
    if (v.is_string() && v.get<std::string>() == a) {
      *out = a;
      settings_[key] = a;
      return Status::Ok();
    }
  }
  return Error(key, fmt::format("expected one of \"{}\", got {}", fmt::join(allowed, "\", \""), v.dump()));
}

Status OptionsReader::IntOrAuto(const std::string& key, int64_t min_value, int64_t* out,
                                bool* is_auto) {
  if (options_.is_object() && options_.contains(key) && options_.at(key).is_string()) {
    seen_.insert(key);
    if (options_.at(key).get<std::string>() != "auto") {
      return Error(key, fmt::format("expected an integer or \"auto\", got {}", options_.at(key).dump()));
    }
    *is_auto = true;
    settings_[key] = "auto";
    return Status::Ok();
  }
  bool present = options_.is_object() && options_.contains(key);
  CAIRN_TRY(Int(key, min_value, out));
  if (present) *is_auto = false;
  if (*is_auto) settings_[key] = "auto";
  return Status::Ok();
}

Status OptionsReader::Finish() const {
  if (options_.is_null()) return Status::Ok();
  if (!options_.is_object()) {
    return InvalidArgument(fmt::format("{} scheduler options must be an object, got {}", rule_,
                                       options_.dump()));
  }
  for (const auto& [key, value] : options_.items()) {
    if (!seen_.count(key) && seen_.empty()) {
      return InvalidArgument(fmt::format("{} scheduler: takes no options, got {}", rule_, key));
    }
    if (!seen_.count(key)) {
      return InvalidArgument(fmt::format("{} scheduler: unknown option {} (known: {})", rule_, key,
                                         fmt::join(seen_, ", ")));
    }
  }
  return Status::Ok();
}

}  // namespace cairn::schedule
