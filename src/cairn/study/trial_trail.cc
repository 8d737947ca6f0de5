#include "cairn/study/trial_trail.h"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "cairn/capture.h"

namespace cairn {
namespace {

using nlohmann::json;


json ArtifactsSummary(const json& attrs) {
  const json list = attrs.value("artifacts", json::array());
  int64_t bytes = 0;
  for (const auto& a : list) bytes += a.value("size", int64_t{0});
  return {{"trial_dir", attrs.value("trial_dir", json())}, {"files", list.size()}, {"bytes", bytes}, {"list", list}};
}

std::string Utc(double epoch_s) {
  const std::time_t t = static_cast<std::time_t>(std::floor(epoch_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + " UTC";
}

std::string Bytes(double b) {
  if (b < 1000) return fmt::format("{} B", static_cast<int64_t>(b));
  if (b < 1e6) return fmt::format("{:.1f} kB", b / 1e3);
  if (b < 1e9) return fmt::format("{:.1f} MB", b / 1e6);
  return fmt::format("{:.1f} GB", b / 1e9);
}

std::string Short(const json& hash) { return hash.is_string() ? hash.get<std::string>().substr(0, 12) : "-"; }

std::string CodeLine(const json& code) {
  if (!code.is_object() || code.empty()) return "not recorded";
  if (!code.value("is_repo", false)) return "not in a git work tree";
  std::string out = "git " + Short(code.value("commit", json()));
  std::string branch = code.value("branch", "");
  out += fmt::format(" ({}{})", branch.empty() ? "no branch" : branch,
                     code.value("dirty", false) ? ", uncommitted changes" : "");
  std::string remote = code.value("remote_url", "");
  if (!remote.empty()) out += " from " + remote;
  return out;
}

}  // namespace

json TrialTrailJson(Store& store, const StudyRecord& study, const TrialRecord& trial) {
  const json& attrs = trial.attrs;
  const json context = attrs.is_object() ? attrs.value("context", json::object()) : json::object();
  json study_context = StudyContextOf(study);
  if (!study_context.is_object()) study_context = json::object();
  json out = json::object();
  json ran = {{"started_at", trial.started_at ? json(*trial.started_at) : json(nullptr)},
              {"ended_at", trial.ended_at ? json(*trial.ended_at) : json(nullptr)}};
  ran["seconds"] = trial.started_at && trial.ended_at ? json(*trial.ended_at - *trial.started_at) : json(nullptr);
  out["ran"] = std::move(ran);
  // A trial of a resume after a new commit records its own code version.
  out["code"] = context.contains("code") ? context["code"] : study_context.value("code", json());
  out["program_files"] = context.value("program_files", json());
  out["workdir"] = study_context.value("workdir", json());
  out["host"] = BlobOrNull(store, context.value("host", study_context.value("host", json())));
  const json software = BlobOrNull(store, context.value("software", json()));
  json python = nullptr;
  if (software.is_object() && software.value("python", json()).is_object()) {
    json notable = json::object();
    for (const auto& [name, version] : NotablePackages(software)) notable[name] = version;
    python = {{"version", software["python"].value("version", json())},
              {"executable", software["python"].value("executable", json())},
              {"notable", std::move(notable)}};
  }
  out["python"] = std::move(python);
  out["gpus"] = context.value("gpus", json::array());
  out["datasets"] = context.value("datasets", json::array());
  out["artifacts"] = attrs.is_object() ? ArtifactsSummary(attrs) : json(nullptr);
  out["search"] = attrs.is_object() ? attrs.value("search", json()) : json(nullptr);
  if (attrs.is_object() && attrs.contains("reproduce_of")) out["reproduce_of"] = attrs["reproduce_of"];
  return out;
}

std::string RenderTrialTrail(const json& t) {
  std::string out;
  const json& ran = t["ran"];
  if (ran["started_at"].is_number()) {
    out += "  ran: " + Utc(ran["started_at"].get<double>());
    if (ran["seconds"].is_number()) out += fmt::format(" for {:.1f} s", ran["seconds"].get<double>());
    out += "\n";
  }
  if (t.contains("reproduce_of")) out += fmt::format("  reproduces: trial {}\n", t["reproduce_of"].dump());
  const json& search = t["search"];
  if (search.is_object()) {
    out += fmt::format("  search: {} sampler, {} pruner\n", search.value("sampler", "?"), search.value("pruner", "?"));
  }
  out += "  code: " + CodeLine(t["code"]) + "\n";
  if (t["program_files"].is_array()) {
    for (const auto& f : t["program_files"]) {
      out += fmt::format("  file: {} sha256 {} ({})\n", f.value("path", "?"), Short(f.value("sha256", json())),
                         Bytes(f.value("bytes", 0.0)));
    }
  }
  const json& host = t["host"];
  out += host.is_object() ? fmt::format("  host: {}, {} {}, {}, {} cores, {} memory\n", host.value("hostname", "?"),
                                        host.value("os", "?"), host.value("arch", ""), host.value("cpu_model", "?"),
                                        host.value("cpu_cores", 0), Bytes(host.value("memory_total_bytes", 0.0)))
                          : "  host: not recorded\n";
  const json& python = t["python"];
  if (python.is_object()) {
    std::string packages;
    for (const auto& [name, version] : python["notable"].items()) {
      packages += (packages.empty() ? " with " : ", ") + name + " " + version.get<std::string>();
    }
    out += fmt::format("  python: {}{}\n", python["version"].is_string() ? python["version"].get<std::string>() : "?",
                       packages);
  }
  const json& gpus = t["gpus"];
  if (gpus.empty()) out += "  gpus: none\n";
  for (const auto& g : gpus) {
    out += fmt::format("  gpu: {} ({})\n", g.value("name", g.value("known", true) ? "?" : "not visible to Cairn"),
                       g.value("uuid", g.value("id", json("?")).dump()));
  }
  for (const auto& d : t["datasets"]) {
    out += d.value("kind", "") == "missing"
               ? fmt::format("  data: {} was missing\n", d.value("path", "?"))
               : fmt::format("  data: {} {} {} ({} file{}, {})\n", d.value("path", "?"),
                             d.contains("file_sha256") ? "sha256" : "fingerprint",
                             Short(d.value("file_sha256", d.value("sha256", json()))), d.value("files", 0), d.value("files", 0) == 1 ? "" : "s",
                             Bytes(d.value("bytes", 0.0)));
  }
  const json& art = t["artifacts"];
  if (art.is_object() && art.value("files", 0) > 0) {
    std::string names;
    int made = 0, logs = 0;
    for (const auto& a : art["list"]) {
      // stdout.log and stderr.log (and the Slurm executor's files) are
      // always there: counted, not listed.
      if (a.value("log", false) || a.value("cairn", false)) {
        ++logs;
        continue;
      }
      if (++made <= 6) {
        names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", a.value("path", "?"), Bytes(a.value("size", 0.0)));
      } else if (made == 7) {
        names += ", ...";
      }
    }
    out += fmt::format("  artifacts: {} file{} and {} log{}, {} in {}{}\n", made, made == 1 ? "" : "s", logs,
                       logs == 1 ? "" : "s", Bytes(art["bytes"].get<double>()),
                       art["trial_dir"].is_string() ? art["trial_dir"].get<std::string>() : "?",
                       names.empty() ? "" : ": " + names);
  }
  return out;
}

}  // namespace cairn
