// Study files: the YAML a user writes, parsed and validated into StudySpec.
//
// Every mistake is an InvalidArgument whose message is
// "FILE:LINE:COLUMN: <what is wrong>; expected <what>" (1-based line and
// column of the offending key or value); unknown keys are errors. The format
// is described in docs/study-file.md.
//
//   CAIRN_ASSIGN_OR_RETURN(StudySpec spec, ParseStudyFile("study.yaml"));
//   CAIRN_ASSIGN_OR_RETURN(auto argv, ExpandCommand(spec.command, params, extra, &spec.space));
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/space.h"
#include "cairn/status.h"
#include "cairn/trial.h"

namespace cairn {

// A named regular expression (RE2 syntax) with named groups; each named group
// that matches a number becomes a metric, the group named by the study's
// step key becomes the step.
struct MetricPattern {
  std::string name;
  std::string regex;
};

struct StudySpec {
  std::string name;
  std::filesystem::path source;          // the study file ("" when from a string)
  std::string source_text;               // its text
  std::vector<std::string> command;      // argv template with {param} placeholders
  std::filesystem::path workdir;         // absolute; default: the study file's folder
  std::map<std::string, std::string> env;  // extra environment for trials
  SearchSpace space;

  // objective
  std::string metric;                    // key of the objective metric
  Direction direction = Direction::kMaximize;
  std::string step_key = "epoch";        // key that carries the step
  // What the metric can reach (accuracy: 0 and 1), from `bounds: [lo, hi]`
  // (null for an open side); curve fits and predictions stay inside.
  std::optional<double> lower_bound;
  std::optional<double> upper_bound;
  std::vector<MetricPattern> patterns;   // RE2 patterns for free-form output

  // budget
  int trials = 10;
  int parallel = 1;
  std::optional<int64_t> max_steps;      // stop a trial after this many steps
  std::optional<double> timeout_s;       // per trial, wall-clock seconds
  double grace_s = 10.0;                 // SIGTERM -> SIGKILL
  int max_retries = 0;                   // re-run a failed trial up to this often

  // resources
  double gpus_per_trial = 0.0;           // 0 = CPU only; fractions pack trials
  // "none", or "auto": trials per GPU from the GPU memory trials really used
  // (include/cairn/gpu_packing.h); then gpus_per_trial is 1.
  std::string packing = "none";
  double packing_margin = 0.1;           // share of GPU memory never planned for
  int max_trials_per_gpu = 8;

  // search and scheduling
  std::string sampler = "tpe";           // random | tpe | grid | ...
  uint64_t seed = 0;
  nlohmann::json sampler_options = nlohmann::json::object();
  std::string pruner = "none";           // none | median | asha | hyperband | predictive
  nlohmann::json pruner_options = nlohmann::json::object();

  // record trail
  std::vector<std::filesystem::path> datasets;  // paths to fingerprint

  // executor
  std::string executor = "local";        // local | slurm
  nlohmann::json executor_options = nlohmann::json::object();

  nlohmann::json ToJson() const;
};

// A study name: letters, digits, '_', '.' and '-', not "." or ".." (it
// names the study's folder of trial folders).
bool IsValidStudyName(std::string_view name);

// The objective's bounds in a stored study's spec_json (`objective.bounds`
// as StudySpec::ToJson writes it); both sides empty when absent.
struct ObjectiveBounds {
  std::optional<double> lower, upper;
};
ObjectiveBounds ObjectiveBoundsOf(const nlohmann::json& spec_json);

// `budget.max_steps` in a stored study's spec_json; nullopt when absent,
// null or not a positive integer.
std::optional<int64_t> MaxStepsOf(const nlohmann::json& spec_json);

// The search space in a stored study's spec_json (`space` as
// StudySpec::ToJson writes it); nullopt when absent or not in that form.
std::optional<SearchSpace> SpaceOf(const nlohmann::json& spec_json);

// Parses and validates a study file. NotFound when it cannot be opened;
// InvalidArgument with a position for any mistake in it. Relative paths in
// it (workdir) are taken from the file's folder; spec.source is absolute.
Result<StudySpec> ParseStudyFile(const std::filesystem::path& path);
// Same, from text; `source_name` is used in error positions and `base_dir`
// stands for the file's folder (made absolute against the current folder).
Result<StudySpec> ParseStudyText(const std::string& text,
                                 const std::string& source_name,
                                 const std::filesystem::path& base_dir);

// The study file `text` with chosen values rewritten in place, everything
// else (comments, layout) kept byte for byte: each scalar of the `env` map
// ("env", its name, its value) and each word of the `command` list
// ("command", the word before it, the word) is replaced by what `rewrite`
// returns, when that differs. Exports use it to keep secrets out of a
// shared study file (a block scalar is replaced whole). InvalidArgument for
// text that is not YAML, or a value to change written with an anchor, an
// alias or a tag.
using StudyFileRewrite =
    std::function<std::optional<std::string>(std::string_view section, std::string_view key, const std::string& value)>;
Result<std::string> RewriteStudyFileValues(const std::string& text, const StudyFileRewrite& rewrite);

// Builds the argv of one trial: each "{name}" in a template element is
// replaced by the parameter's value (and "{trial_id}", "{trial_dir}",
// "{seed}"... from `extra`; a parameter wins over an extra of the same name);
// "{{" and "}}" are literal braces. Floats print with enough digits to
// round-trip. Never joins into a shell string.
//
// A name with no value (an inactive conditional parameter) drops its element
// when the element is that placeholder alone, together with the element just
// before it when that one is a bare flag (starts with '-', no placeholder):
//   ["--momentum", "{momentum}"] -> [] when momentum is inactive.
// A valueless name inside other text ("--m={momentum}") is an error. When
// `space` is given, a name that is neither in `space` nor in `extra` is an
// error ("unknown placeholder"); without it, such a name counts as inactive.
// The parser already checks every name against the space at load time.
Result<std::vector<std::string>> ExpandCommand(
    const std::vector<std::string>& templ, const Params& params,
    const std::map<std::string, std::string>& extra, const SearchSpace* space = nullptr);

// The names a command may use besides parameters; the study fills them in
// `extra`: trial_id, trial_dir, seed, study, trial_number.
const std::vector<std::string>& CommandExtraNames();

// Seconds in `text`: a number ("90", "1.5"), or a number with a unit
// ms, s, m, h or d ("500ms", "90s", "10m", "2h", "1d"). Negative is an error.
Result<double> ParseDuration(std::string_view text);

}  // namespace cairn
