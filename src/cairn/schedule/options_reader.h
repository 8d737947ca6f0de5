// Reads a scheduler's JSON options into typed fields, one error per bad field.
//
// Every scheduler takes a JSON object of options; unknown keys are an error
// (a typo must not silently fall back to a default). OptionsReader collects
// the keys it was asked about and Finish() reports any left over.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/status.h"

namespace cairn::schedule {

class OptionsReader {
 public:
  // `rule` names the scheduler in messages ("asha option reduction_factor: ...").
  OptionsReader(std::string rule, const nlohmann::json& options);

  // Each reads `key` into `*out` when present (leaving the default otherwise)
  // and checks out >= min_value. Returns InvalidArgument on a wrong type/range.
  Status Int(const std::string& key, int64_t min_value, int64_t* out);
  Status Double(const std::string& key, double min_value, double max_value, double* out);
  // One of the strings in `allowed`.
  Status Choice(const std::string& key, const std::vector<std::string>& allowed, std::string* out);
  // An integer >= min_value or the string "auto" (then *out stays 0 and *is_auto is true).
  Status IntOrAuto(const std::string& key, int64_t min_value, int64_t* out, bool* is_auto);

  // InvalidArgument naming the first key nobody asked about, or if the
  // options are not an object.
  Status Finish() const;

  // Every key read so far with the value in force: the one given, else the
  // default the caller's field held ("auto" for IntOrAuto's auto).
  const nlohmann::json& settings() const { return settings_; }

 private:
  Status Error(const std::string& key, const std::string& what) const;

  std::string rule_;
  const nlohmann::json& options_;
  std::set<std::string> seen_;
  nlohmann::json settings_ = nlohmann::json::object();
};

}  // namespace cairn::schedule
