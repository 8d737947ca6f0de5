// A Hugging Face style model card (README.md with YAML front matter) for one
// trial, built from a bundle.
#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "cairn/capture.h"
#include "cairn/commons/bundle_codec.h"
#include "cairn/commons/export_common.h"
#include "cairn/export.h"
#include "cairn/json_text.h"
#include "cairn/metric_summary.h"

namespace cairn {
namespace {

// Text for one cell of a Markdown table: a '|' would end the cell even
// inside backticks (GitHub), a line break the row.
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

using nlohmann::json;
using namespace commons;

// A YAML scalar that reads back as the same string: JSON string syntax is
// a subset of YAML's double-quoted style.
std::string Quote(const std::string& s) { return json(s).dump(); }

std::string Number(double v) { return json(v).dump(); }

// Per-metric summaries of the trial's points, as `show` and `query` make
// them (MetricSummary): inf and NaN count, they are not dropped.
std::map<std::string, MetricSummary> Summaries(const json& bundle, int number, Direction objective_dir,
                                               const std::string& objective) {
  std::vector<MetricPoint> points;
  for (const auto& [key, series] : TrialSeries(bundle, number)) {
    if (key.rfind("sys/", 0) == 0) continue;  // utilization, not results
    for (const auto& p : series) points.push_back({0, key, p.step, p.value, p.time});
  }
  return SummarizeMetricPoints(std::move(points), objective_dir, objective);
}

// A summary's number for the card: "-" when there is none, inf and NaN as
// MetricValueJson spells them (JSON's "null" would say "no value").
std::string Value(const std::optional<double>& v) {
  if (!v) return "-";
  return std::isfinite(*v) ? Number(*v) : MetricValueJson(*v).get<std::string>();
}

std::string FrontMatter(const json& bundle, const json& trial, const std::map<std::string, MetricSummary>& metrics) {
  const json& study = bundle["study"];
  std::ostringstream y;
  y << "---\n";
  y << "library_name: " << Quote(ProgramName(bundle)) << "\n";
  y << "tags:\n  - cairn\n  - hyperparameter-search\n  - " << Quote("study:" + study.value("name", "")) << "\n";
  json datasets = TrialContext(trial).value("datasets", json::array());
  if (!datasets.empty()) {
    y << "datasets:\n";
    for (const auto& d : datasets) {
      std::string hash = d.value("sha256", json()).is_string() ? d.value("sha256", json()).get<std::string>() : "missing";
      y << "  - " << Quote("sha256:" + hash) << "\n";
    }
  }
  y << "model-index:\n";
  y << "  - name: " << Quote(fmt::format("{}-trial-{}", study.value("name", ""), trial.value("number", 0))) << "\n";
  y << "    results:\n";
  y << "      - task:\n          type: " << Quote("hyperparameter-search") << "\n";
  y << "          name: " << Quote(study.value("objective", "") + " (" + study.value("direction", "") + ")") << "\n";
  // Results are final values that are numbers: a metric that ended in NaN
  // or inf is in the table below, not here. None: an empty list, not null.
  std::vector<std::pair<std::string, double>> finals;
  for (const auto& [key, s] : metrics) {
    if (s.last && std::isfinite(*s.last)) finals.emplace_back(key, *s.last);
  }
  y << (finals.empty() ? "        metrics: []\n" : "        metrics:\n");
  for (const auto& [key, last] : finals) {
    y << "          - type: " << Quote(key) << "\n";
    y << "            value: " << Number(last) << "\n";
    y << "            name: " << Quote(key + " (final)") << "\n";
  }
  y << "---\n";
  return y.str();
}

std::string Details(const json& bundle, const json& trial) {
  std::ostringstream md;
  md << "## Model details\n\n";
  md << "| | |\n|---|---|\n";
  md << fmt::format("| Study | `{}` |\n", bundle["study"].value("name", ""));
  md << fmt::format("| Trial | {} |\n", trial.value("number", 0));
  if (!trial.value("ark", "").empty()) md << fmt::format("| Identifier | `{}` |\n", trial["ark"].get<std::string>());
  std::string code = CodeVersionString(bundle);
  md << fmt::format("| Code version | {} |\n", code.empty() ? "not in git" : "`" + code + "`");
  // The files the command named, by hash: outside git the code's only record.
  const json files = TrialContext(trial).value("program_files", json::array());
  for (const auto& f : files.is_array() ? files : json::array()) {
    const json& sha = f.value("sha256", json());
    md << fmt::format("| File `{}` | sha256 `{}` |\n", Cell(f.value("path", "?")),
                      sha.is_string() ? sha.get<std::string>() : "not taken (over 16 MiB)");
  }
  if (trial["attrs"].contains("seed")) md << fmt::format("| Seed | {} |\n", trial["attrs"]["seed"].dump());
  std::string command;
  for (const auto& a : trial["attrs"].value("argv", json::array())) {
    command += (command.empty() ? "" : " ") + commons::ShellWord(a.is_string() ? a.get<std::string>() : a.dump());
  }
  md << fmt::format("\nCommand:\n\n```\n{}\n```\n\nParameters:\n\n| name | value |\n|---|---|\n", command);
  const json& params = trial.value("params", json::object());
  for (auto it = params.begin(); it != params.end(); ++it) {
    md << fmt::format("| {} | `{}` |\n", Cell(it.key()), Cell(it.value().dump()));
  }
  return md.str();
}

std::string Environment(const json& bundle, const json& trial) {
  json context = TrialContext(trial);
  std::ostringstream md;
  md << "\n## Training environment\n\n";
  json host = BundleBlob(bundle, context.value("host", json()));
  if (host.is_object()) {
    md << fmt::format("- Host: {} ({}, {} cores, {:.1f} GiB of memory), {} {}\n", host.value("hostname", "?"),
                      host.value("cpu_model", "?"), host.value("cpu_cores", 0),
                      host.value("memory_total_bytes", 0.0) / double(1ull << 30), host.value("os", "?"),
                      host.value("arch", ""));
  } else {
    md << "- Host: not recorded\n";
  }
  json gpus = context.value("gpus", json::array());
  if (gpus.empty()) md << "- GPU: none\n";
  for (const auto& g : gpus) {
    md << fmt::format("- GPU: {} (driver {}, CUDA {})\n", g.value("name", "unknown"), g.value("driver_version", "?"),
                      g.value("cuda_version", "?"));
  }
  json software = BundleBlob(bundle, context.value("software", json()));
  if (software.is_object() && software["python"].is_object()) {
    const json& py = software["python"];
    md << fmt::format("- Python {}\n", py.value("version", "?"));
    for (const auto& [name, version] : NotablePackages(software)) md << fmt::format("- {} {}\n", name, version);
  }
  return md.str();
}

std::string Procedure(const json& bundle, const json& trial) {
  const json& spec = bundle["study"]["spec_json"];
  std::ostringstream md;
  md << "\n## Training procedure\n\n";
  // The trials the study holds: budget.trials is the first run's, and a
  // resume, --trials or a reproduction adds more.
  md << fmt::format("Cairn searched {} trials with the `{}` sampler (seed {}) and the `{}` early-stopping rule, "
                    "optimising `{}` ({}).\n\n",
                    bundle.value("trials", json::array()).size(),
                    spec.value("sampler", json::object()).value("name", "?"),
                    spec.value("sampler", json::object()).value("seed", json(0)).dump(),
                    spec.value("pruner", json::object()).value("name", "none"),
                    bundle["study"].value("objective", ""), bundle["study"].value("direction", ""));
  // The study file may have changed on a resume: say what this trial ran under.
  const json search = trial.value("attrs", json::object()).value("search", json());
  if (search.is_object() && (search.value("sampler", "") != spec.value("sampler", json::object()).value("name", "") ||
                             search.value("pruner", "") != spec.value("pruner", json::object()).value("name", "none"))) {
    md << fmt::format("This trial ran under an earlier study file: the `{}` sampler and the `{}` rule.\n",
                      search.value("sampler", "?"), search.value("pruner", "?"));
  }
  md << fmt::format("This trial ended **{}**: {}.\n", trial.value("state", ""), trial.value("end_reason", ""));
  return md.str();
}

std::string Results(const std::map<std::string, MetricSummary>& metrics) {
  std::ostringstream md;
  md << "\n## Evaluation results\n\n| metric | final | best | min | max | reports |\n|---|---|---|---|---|---|\n";
  for (const auto& [key, s] : metrics) {
    md << fmt::format("| {} | {} | {} | {} | {} | {} |\n", Cell(key), Value(s.last), Value(s.best), Value(s.min),
                      Value(s.max), s.steps);
  }
  return md.str();
}

Result<std::string> Card(const json& bundle, int number) {
  const json* trial = FindTrial(bundle, number);
  if (!trial) return NotFound(fmt::format("study '{}' has no trial {}", bundle["study"].value("name", ""), number));
  std::string objective = bundle["study"].value("objective", "");
  auto metrics = Summaries(bundle, number, StudyDirection(bundle), objective);
  std::ostringstream md;
  md << FrontMatter(bundle, *trial, metrics);
  md << fmt::format("\n# {} — trial {}\n\n", bundle["study"].value("name", ""), number);
  md << fmt::format("A model trained by `{}` in a Cairn hyperparameter search.\n\n", ProgramName(bundle));
  md << Details(bundle, *trial) << Environment(bundle, *trial) << Procedure(bundle, *trial) << Results(metrics);
  md << fmt::format("\n## How to reproduce\n\n```\ncairn reproduce {} {}\n```\n\n", bundle["study"].value("name", ""), number);
  md << "Cairn compares the code version, packages, datasets, host and GPUs with this record before it runs "
        "the same command, parameters, seed and environment again, and reports the differences in the result.\n";
  return md.str();
}

}  // namespace

Result<int> BestTrialNumber(const json& bundle) {
  CAIRN_TRY(ValidateBundle(bundle));
  Direction d = StudyDirection(bundle);
  std::optional<double> best;
  int number = -1;
  for (const auto& t : bundle.value("trials", json::array())) {
    auto v = FiniteNumber(t.value("value", json()));
    if (t.value("state", "") != "completed" || !v) continue;
    if (!best || IsBetter(d, *v, *best)) {
      best = v;
      number = t.value("number", 0);
    }
  }
  if (number < 0) return NotFound("study '" + bundle["study"].value("name", "") + "' has no completed trial with a value");
  return number;
}

Result<std::string> BuildModelCard(const json& bundle, int number) {
  CAIRN_TRY(ValidateBundle(bundle));
  return GuardJson("model card", [&]() -> Result<std::string> { return Card(bundle, number); });
}

}  // namespace cairn
