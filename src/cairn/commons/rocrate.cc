// RO-Crate 1.1 + Process Run Crate 0.5 (https://w3id.org/ro/wfrun/process/0.5)
// built from a bundle. docs/export.md maps each field.
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cairn/capture.h"
#include "cairn/commons/bundle_codec.h"
#include "cairn/commons/export_common.h"
#include "cairn/export.h"

namespace cairn {
namespace {

using nlohmann::json;
using namespace commons;

constexpr const char* kProfile = "https://w3id.org/ro/wfrun/process/0.5";
constexpr const char* kProgramId = "#training-program";
constexpr const char* kStudyFile = "study.yaml";

json Ref(const std::string& id) { return {{"@id", id}}; }

std::string MetricsFile(int number) { return fmt::format("trials/{}/metrics.csv", number); }

// schema.org ActionStatusType of a trial state: only a trial that ran to its
// end completed; a pruned, failed, interrupted or lost one did not.
std::string ActionStatus(const std::string& state) {
  if (state == "completed") return "http://schema.org/CompletedActionStatus";
  if (state == "running") return "http://schema.org/ActiveActionStatus";
  if (state == "queued") return "http://schema.org/PotentialActionStatus";
  return "http://schema.org/FailedActionStatus";
}

// Collects entities by @id; the first definition of an id wins, so entities
// shared by trials (datasets, env settings, the user) appear once.
class Graph {
 public:
  void Add(json entity) {
    std::string id = entity["@id"].get<std::string>();
    if (ids_.insert(id).second) entities_.push_back(std::move(entity));
  }
  json Take() { return std::move(entities_); }

 private:
  std::set<std::string> ids_;
  json entities_ = json::array();
};

struct CrateBuilder {
  const json& bundle;
  Graph graph;
  json has_part = json::array();
  std::set<std::string> parts;
  std::map<std::string, std::string> content_of;  // dataset address -> the fingerprint it first described

  void AddPart(const std::string& id) {
    if (parts.insert(id).second) has_part.push_back(Ref(id));
  }

  json DatasetEntities(const json& context) {
    json refs = json::array();
    for (const auto& d : context.value("datasets", json::array())) {
      std::string path = d.value("path", "");
      std::string kind = d.value("kind", "");
      json e;
      if (kind == "missing" || !d.value("sha256", json()).is_string()) {
        e = {{"@id", "#missing-dataset-" + ContentHash(path).substr(0, 16)},
             {"@type", "CreativeWork"},
             {"name", path},
             {"description", "declared dataset that was missing when the trial started"}};
      } else {
        std::string id = FileUri(path);
        if (kind == "directory" && !id.ends_with('/')) id += '/';  // "ds/" declared: one slash
        // The data changed between trials (a resume after the file was
        // edited): each content is its own entity, or every trial would
        // cite the first trial's hash. The first keeps the plain address.
        const std::string fingerprint = d["sha256"].get<std::string>();
        auto [described, first] = content_of.emplace(id, fingerprint);
        if (!first && described->second != fingerprint) id += "#fingerprint=" + fingerprint.substr(0, 16);
        e = {{"@id", id},
             {"@type", kind == "directory" ? "Dataset" : "File"},
             {"name", std::filesystem::path(path).filename().string()},
             {"alternateName", path},
             {"contentSize", std::to_string(d.value("bytes", int64_t{0}))},
             {"sha256", d.value("sha256", json())}};
        if (kind == "directory") e["description"] = fmt::format("{} files; sha256 is Cairn's folder fingerprint", d.value("files", 0));
        // A File's sha256 is its content's (records from before file_sha256
        // have only the fingerprint, which says so).
        if (kind == "file") {
          if (d.value("file_sha256", json()).is_string()) {
            e["sha256"] = d["file_sha256"];
          } else {
            e["description"] = "sha256 is Cairn's fingerprint of the file (its name, size and content hash)";
          }
        }
        AddPart(id);
      }
      refs.push_back(Ref(e["@id"].get<std::string>()));
      graph.Add(std::move(e));
    }
    return refs;
  }

  json ArtifactEntities(const json& trial) {
    json refs = json::array();
    std::string dir = trial["attrs"].value("trial_dir", "");
    for (const auto& a : trial["attrs"].value("artifacts", json::array())) {
      std::string rel = a.value("path", "");
      if (rel.empty() || dir.empty()) continue;
      std::string id = FileUri((std::filesystem::path(dir) / rel).string());
      json e = {{"@id", id},
                {"@type", "File"},
                {"name", rel},
                {"contentSize", std::to_string(a.value("size", int64_t{0}))}};
      if (a.contains("sha256") && a["sha256"].is_string()) e["sha256"] = a["sha256"];
      if (a.value("log", false)) e["encodingFormat"] = "text/plain";
      graph.Add(std::move(e));
      AddPart(id);
      refs.push_back(Ref(id));
    }
    return refs;
  }

  json EnvironmentEntities(const json& context) {
    json refs = json::array();
    const json& env = context.value("env", json::object());
    for (auto it = env.begin(); it != env.end(); ++it) {
      std::string value = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
      std::string id = "#env-" + ContentHash(json::array({it.key(), value})).substr(0, 16);
      graph.Add({{"@id", id}, {"@type", "PropertyValue"}, {"name", it.key()}, {"value", value}});
      refs.push_back(Ref(id));
    }
    return refs;
  }

  json ParamEntities(const json& trial) {
    json refs = json::array();
    int number = trial.value("number", 0);
    const json& params = trial.value("params", json::object());
    for (auto it = params.begin(); it != params.end(); ++it) {
      std::string id = fmt::format("#trial-{}-param-{}", number, it.key());
      graph.Add({{"@id", id}, {"@type", "PropertyValue"}, {"name", it.key()}, {"value", it.value()}});
      refs.push_back(Ref(id));
    }
    return refs;
  }

  // The user who ran the study, from the recorded environment, as the agent.
  std::optional<std::string> Agent(const json& context) {
    const json& env = context.value("env", json::object());
    std::string user = env.value("USER", env.value("LOGNAME", ""));
    if (user.empty()) return std::nullopt;
    std::string id = "#person-" + user;
    graph.Add({{"@id", id}, {"@type", "Person"}, {"name", user}});
    return id;
  }

  json Action(const json& trial) {
    int number = trial.value("number", 0);
    json context = TrialContext(trial);
    std::string state = trial.value("state", "");
    std::string reason = trial.value("end_reason", "");
    json argv = trial["attrs"].value("argv", json::array());
    std::string command;
    for (const auto& a : argv) {
      command += (command.empty() ? "" : " ") + ShellWord(a.is_string() ? a.get<std::string>() : a.dump());
    }

    json object = DatasetEntities(context);
    object.push_back(Ref(kStudyFile));
    for (auto& p : ParamEntities(trial)) object.push_back(std::move(p));
    json result = ArtifactEntities(trial);
    std::string metrics = MetricsFile(number);
    graph.Add({{"@id", metrics},
               {"@type", "File"},
               {"name", fmt::format("metrics of trial {}", number)},
               {"encodingFormat", "text/csv"},
               {"description", "every reported value: step,key,value"}});
    AddPart(metrics);
    result.push_back(Ref(metrics));

    json action = {{"@id", fmt::format("#trial-{}", number)},
                   {"@type", "CreateAction"},
                   {"name", fmt::format("Trial {} ({}): {}", number, state, reason.empty() ? state : reason)},
                   {"description", command},
                   {"instrument", Ref(kProgramId)},
                   {"object", std::move(object)},
                   {"result", std::move(result)},
                   {"actionStatus", Ref(ActionStatus(state))},
                   {"environment", EnvironmentEntities(context)}};
    if (auto start = FiniteNumber(trial["started_at"])) action["startTime"] = IsoTime(*start);
    if (auto end = FiniteNumber(trial["ended_at"])) action["endTime"] = IsoTime(*end);
    if (!trial.value("ark", "").empty()) action["identifier"] = trial["ark"];
    if (ActionStatus(state) == "http://schema.org/FailedActionStatus" && !reason.empty()) action["error"] = reason;
    if (auto agent = Agent(context)) action["agent"] = Ref(*agent);
    return action;
  }

  json Program() {
    json program = {{"@id", kProgramId}, {"@type", "SoftwareApplication"}, {"name", ProgramName(bundle)}};
    std::string version = CodeVersionString(bundle);
    if (!version.empty()) program["version"] = version;
    json context = StudyContext(bundle["study"]);
    if (context.is_object()) {
      std::string url = context.value("code", json::object()).value("remote_url", "");
      if (!url.empty()) program["url"] = url;
    }
    json requirements = SoftwareRequirements();
    if (!requirements.empty()) program["softwareRequirements"] = std::move(requirements);
    return program;
  }

  // Python and the notable packages (torch, scikit-learn, ...) the trials ran
  // with, each version once: a reader sees what the program needs without
  // opening the bundle, which lists every package.
  json SoftwareRequirements() {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& t : bundle["trials"]) {
      json software = BundleBlob(bundle, TrialContext(t).value("software", json()));
      if (!software.is_object() || !software.value("python", json()).is_object()) continue;
      const json& version = software["python"].value("version", json());
      if (version.is_string()) seen.emplace("Python", version.get<std::string>());
      for (const auto& p : NotablePackages(software)) seen.insert(p);
    }
    json refs = json::array();
    for (const auto& [name, version] : seen) {
      std::string id = fmt::format("#software-{}-{}", name, version);
      graph.Add({{"@id", id}, {"@type", "SoftwareApplication"}, {"name", name}, {"version", version}});
      refs.push_back(Ref(id));
    }
    return refs;
  }

  // datePublished: the latest time recorded in the study, so the same
  // study always gives the same crate.
  std::string Published() {
    double latest = FiniteNumber(bundle["study"]["created_at"]).value_or(0.0);
    for (const auto& t : bundle["trials"]) {
      if (auto e = FiniteNumber(t["ended_at"])) latest = std::max(latest, *e);
    }
    return IsoTime(latest);
  }

  json Build() {
    const json& study = bundle["study"];
    json mentions = json::array();
    json actions = json::array();
    for (const auto& t : bundle["trials"]) {
      json action = Action(t);
      mentions.push_back(Ref(action["@id"].get<std::string>()));
      actions.push_back(std::move(action));
    }
    graph.Add({{"@id", kStudyFile},
               {"@type", "File"},
               {"name", "study file"},
               {"encodingFormat", "application/yaml"},
               {"description", "the Cairn study file the trials were run from"}});
    AddPart(kStudyFile);
    json root = {{"@id", "./"},
                 {"@type", "Dataset"},
                 {"name", "Cairn study " + study.value("name", "")},
                 {"description", fmt::format("Hyperparameter search '{}': {} trials of {}, objective {} ({})",
                                             study.value("name", ""), bundle["trials"].size(), ProgramName(bundle),
                                             study.value("objective", ""), study.value("direction", ""))},
                 {"datePublished", Published()},
                 {"conformsTo", Ref(kProfile)},
                 {"hasPart", has_part},
                 {"mentions", std::move(mentions)}};
    if (!study.value("ark", "").empty()) root["identifier"] = study["ark"];
    // RO-Crate 1.1 requires a license on the root; when the study states
    // none, say so rather than invent one.
    std::string license = study.value("attrs", json::object()).value("license", "");
    if (license.empty()) {
      graph.Add({{"@id", "#license-not-stated"},
                 {"@type", "CreativeWork"},
                 {"name", "No license stated"},
                 {"description", "The study did not state a license; ask its authors before reuse."}});
      root["license"] = Ref("#license-not-stated");
    } else {
      root["license"] = license;
    }

    json out = json::array();
    out.push_back({{"@id", "ro-crate-metadata.json"},
                   {"@type", "CreativeWork"},
                   {"conformsTo", Ref("https://w3id.org/ro/crate/1.1")},
                   {"about", Ref("./")}});
    out.push_back(std::move(root));
    out.push_back({{"@id", kProfile}, {"@type", "CreativeWork"}, {"name", "Process Run Crate"}, {"version", "0.5"}});
    out.push_back(Program());
    for (auto& a : actions) out.push_back(std::move(a));
    for (auto& e : graph.Take()) out.push_back(std::move(e));
    return out;
  }
};

}  // namespace

Result<json> BuildRoCrate(const json& bundle) {
  CAIRN_TRY(ValidateBundle(bundle));
  return GuardJson("RO-Crate", [&]() -> Result<json> {
    CrateBuilder builder{bundle};
    return json{{"@context", {"https://w3id.org/ro/crate/1.1/context", "https://w3id.org/ro/terms/workflow-run/context"}},
                {"@graph", builder.Build()}};
  });
}

std::string RoCrateMetricsCsv(const json& bundle, int number) {
  std::string out = "step,key,value\n";
  for (const auto& row : TrialMetrics(bundle, number)) {
    if (!row.is_array() || row.size() != 4) continue;
    std::string key = row[0].get<std::string>();
    if (key.find_first_of(",\"\n") != std::string::npos) {
      std::string quoted;
      for (char c : key) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      key = "\"" + quoted + "\"";
    }
    std::string value = row[2].is_string() ? row[2].get<std::string>() : row[2].dump();
    out += fmt::format("{},{},{}\n", row[1].get<int64_t>(), key, value);
  }
  return out;
}

namespace {

// What may be at the crate's place: nothing, an empty folder, or an earlier
// crate (replaced as a whole). Anything else is the user's, and refused.
Status CheckCrateTarget(const std::filesystem::path& folder) {
  std::error_code ec;
  if (!std::filesystem::exists(folder, ec)) return Status::Ok();
  if (!std::filesystem::is_directory(folder, ec)) {
    return AlreadyExists(folder.string() + ": exists and is not a folder; an RO-Crate is a folder");
  }
  if (std::filesystem::is_empty(folder, ec) || std::filesystem::exists(folder / "ro-crate-metadata.json", ec)) {
    return Status::Ok();
  }
  return AlreadyExists(folder.string() + ": a folder with other files and no ro-crate-metadata.json; "
                       "give a new or empty folder, or an earlier crate to replace");
}

// Moves the finished `staged` folder to `folder`, replacing what is there
// (an earlier crate: none of its files may linger, e.g. a trial no longer
// in the study).
Status PutCrateInPlace(const std::filesystem::path& staged, const std::filesystem::path& folder) {
  std::error_code ec;
  std::filesystem::path old;
  if (std::filesystem::exists(folder, ec)) {
    old = staged;
    old += ".old";
    std::filesystem::rename(folder, old, ec);
    if (ec) return IoError(fmt::format("cannot move the earlier crate {} aside: {}", folder.string(), ec.message()));
  }
  std::filesystem::rename(staged, folder, ec);
  if (ec) {
    Status failed = IoError(fmt::format("cannot move the crate to {}: {}", folder.string(), ec.message()));
    if (!old.empty()) std::filesystem::rename(old, folder, ec);  // put the earlier one back
    return failed;
  }
  if (!old.empty()) std::filesystem::remove_all(old, ec);
  return Status::Ok();
}

}  // namespace

Status WriteRoCrate(const json& bundle, const std::filesystem::path& target) {
  CAIRN_ASSIGN_OR_RETURN(json crate, BuildRoCrate(bundle));
  const std::filesystem::path folder_abs = std::filesystem::absolute(target).lexically_normal();
  const std::filesystem::path target_folder =
      folder_abs.has_filename() ? folder_abs : folder_abs.parent_path();  // "crate/" names "crate"
  CAIRN_TRY(CheckCrateTarget(target_folder));
  // Written beside its place, then moved there: a failed export leaves the
  // earlier crate (or nothing) rather than a mix.
  std::filesystem::path folder = target_folder.parent_path() /
                                 fmt::format(".{}.cairn-{}", target_folder.filename().string(), getpid());
  std::error_code cleanup;
  std::filesystem::remove_all(folder, cleanup);
  auto write = [&](const std::filesystem::path& rel, const std::string& text) -> Status {
    std::filesystem::path path = folder / rel;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return IoError("cannot write " + path.string());
    return Status::Ok();
  };
  Status written = write("ro-crate-metadata.json", crate.dump(2) + "\n");
  if (written.ok()) written = write(kStudyFile, bundle["study"].value("spec_yaml", ""));
  for (const auto& t : bundle["trials"]) {
    if (!written.ok()) break;
    int number = t.value("number", 0);
    written = write(MetricsFile(number), RoCrateMetricsCsv(bundle, number));
  }
  if (written.ok()) written = PutCrateInPlace(folder, target_folder);
  if (!written.ok()) std::filesystem::remove_all(folder, cleanup);
  return written;
}

}  // namespace cairn
