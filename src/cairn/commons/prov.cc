// W3C PROV-JSON (https://www.w3.org/submissions/prov-json/) built from a bundle.
#include <fmt/format.h>

#include "cairn/capture.h"
#include "cairn/commons/bundle_codec.h"
#include "cairn/commons/export_common.h"
#include "cairn/export.h"
#include "cairn/hash.h"

namespace cairn {
namespace {

using nlohmann::json;
using namespace commons;


class ProvBuilder {
 public:
  explicit ProvBuilder(const json& bundle) : bundle_(bundle) {}

  json Build() {
    const json& study = bundle_["study"];
    std::string name = study.value("name", "");
    doc_ = {{"prefix",
             {{"cairn", "https://w3id.org/cairn/terms#"},
              {"study", StudyNamespace()},
              {"file", "file://"},
              {"xsd", "http://www.w3.org/2001/XMLSchema#"}}},
            {"entity", json::object()},
            {"activity", json::object()},
            {"agent", json::object()}};
    std::string cairn_version = "unknown";
    json context = StudyContext(study);
    if (context.is_object()) cairn_version = context.value("cairn_version", cairn_version);
    Agent("cairn:cairn", {{"prov:type", "prov:SoftwareAgent"}, {"prov:label", "Cairn"}, {"cairn:version", cairn_version}});
    json program = {{"prov:type", "prov:SoftwareAgent"}, {"prov:label", ProgramName(bundle_)}};
    std::string code = CodeVersionString(bundle_);
    if (!code.empty()) program["cairn:codeVersion"] = code;
    Agent("study:program", program);
    Entity("study:study-file", {{"prov:type", "cairn:StudyFile"},
                                {"prov:label", "study file of " + name},
                                {"cairn:sha256", Sha256Hex(study.value("spec_yaml", ""))}});  // of the file text itself
    // A resume with a changed file keeps the earlier ones: each trial used
    // the file in force when it was created.
    const json earlier = study.value("attrs", json::object()).value("earlier_specs", json::array());
    for (size_t i = 0; earlier.is_array() && i < earlier.size(); ++i) {
      const json& e = earlier[i];
      std::string id = fmt::format("study:study-file-v{}", i + 1);
      json entity = {{"prov:type", "cairn:StudyFile"},
                     {"prov:label", fmt::format("study file of {}, version {} of {}", name, i + 1, earlier.size() + 1)},
                     {"cairn:sha256", Sha256Hex(e.value("spec_yaml", ""))}};
      if (auto at = FiniteNumber(e.value("replaced_at", json()))) {
        entity["cairn:replacedAt"] = IsoTime(*at);
        replaced_.emplace_back(*at, id);
      }
      Entity(id, std::move(entity));
    }
    for (const auto& t : bundle_["trials"]) Trial(t);
    return std::move(doc_);
  }

 private:
  // Trial ids are the trials' ARKs through the n2t.net resolver when the
  // study has one: "study:t3" expands to https://n2t.net/ark:/.../t3.
  std::string StudyNamespace() const {
    std::string ark = bundle_["study"].value("ark", "");
    if (!ark.empty()) return "https://n2t.net/" + ark + "/";
    return "urn:cairn:study:" + bundle_["study"].value("name", "") + ":";
  }

  void Entity(const std::string& id, json attrs) { doc_["entity"][id] = std::move(attrs); }
  void Agent(const std::string& id, json attrs) { doc_["agent"][id] = std::move(attrs); }
  void Relation(const std::string& kind, json attrs) {
    doc_[kind][fmt::format("_:{}{}", kind, ++counter_)] = std::move(attrs);
  }
  void Used(const std::string& activity, const std::string& entity) {
    Relation("used", {{"prov:activity", activity}, {"prov:entity", entity}});
  }

  // The trial's software environment (one entity per recorded blob, shared
  // by the trials that ran in it): Python, notable packages, the blob's hash
  // (the bundle holds every package).
  void SoftwareUsed(const std::string& activity, const json& context) {
    const json hash = context.value("software", json());
    if (!hash.is_string()) return;
    std::string software_id = "cairn:software-" + hash.get<std::string>().substr(0, 16);
    if (!doc_["entity"].contains(software_id)) {
      json body = BundleBlob(bundle_, hash);
      json e = {{"prov:type", "cairn:SoftwareEnvironment"}, {"cairn:blob", hash}};
      if (body.is_object() && body.value("python", json()).is_object()) {
        e["cairn:python"] = body["python"].value("version", json());
        std::string packages;
        for (const auto& [name, version] : NotablePackages(body)) {
          packages += (packages.empty() ? "" : ", ") + name + " " + version;
        }
        e["cairn:packages"] = packages;
      }
      Entity(software_id, std::move(e));
    }
    Used(activity, software_id);
  }

  void Trial(const json& t) {
    int number = t.value("number", 0);
    std::string id = fmt::format("study:t{}", number);
    json activity = {{"prov:type", "cairn:Trial"},
                     {"prov:label", fmt::format("trial {}", number)},
                     {"cairn:state", t.value("state", "")},
                     {"cairn:endReason", t.value("end_reason", "")}};
    if (auto s = FiniteNumber(t["started_at"])) activity["prov:startTime"] = IsoTime(*s);
    if (auto e = FiniteNumber(t["ended_at"])) activity["prov:endTime"] = IsoTime(*e);
    if (auto v = FiniteNumber(t["value"])) activity["cairn:objective"] = *v;
    if (!t.value("ark", "").empty()) activity["cairn:ark"] = t["ark"];
    doc_["activity"][id] = std::move(activity);

    Used(id, StudyFileOf(t));
    std::string params = fmt::format("study:t{}-params", number);
    Entity(params, {{"prov:type", "cairn:Parameters"}, {"prov:value", t.value("params", json::object()).dump()}});
    Used(id, params);

    json context = TrialContext(t);
    for (const auto& d : context.value("datasets", json::array())) {
      if (!d.value("sha256", json()).is_string()) continue;
      // One entity per file: the same bytes at two paths are two datasets
      // (each with its location), the same file in every trial is one.
      const std::string sha = d.value("sha256", json()).get<std::string>();
      std::string dataset = "cairn:dataset-" + Sha256Hex(d.value("path", "") + '\n' + sha).substr(0, 16);
      Entity(dataset, {{"prov:type", "cairn:Dataset"}, {"prov:location", d.value("path", "")},
                       {"cairn:sha256", d.value("sha256", json())}, {"cairn:bytes", d.value("bytes", int64_t{0})}});
      Used(id, dataset);
    }
    int i = 0;
    for (const auto& a : t["attrs"].value("artifacts", json::array())) {
      std::string artifact = fmt::format("study:t{}-artifact{}", number, i++);
      json e = {{"prov:type", "cairn:Artifact"}, {"prov:label", a.value("path", "")},
                {"cairn:bytes", a.value("size", int64_t{0})}};
      if (a.contains("sha256") && a["sha256"].is_string()) e["cairn:sha256"] = a["sha256"];
      Entity(artifact, std::move(e));
      json gen = {{"prov:entity", artifact}, {"prov:activity", id}};
      if (auto end = FiniteNumber(t["ended_at"])) gen["prov:time"] = IsoTime(*end);
      Relation("wasGeneratedBy", std::move(gen));
    }
    Relation("wasAssociatedWith", {{"prov:activity", id}, {"prov:agent", "cairn:cairn"}});
    Relation("wasAssociatedWith", {{"prov:activity", id}, {"prov:agent", "study:program"}});
    if (context.contains("host") && context["host"].is_string()) {
      std::string host_id = "cairn:host-" + context["host"].get<std::string>().substr(0, 16);
      json host = BundleBlob(bundle_, context["host"]);
      json agent = {{"prov:type", "cairn:Host"}};
      if (host.is_object()) {
        agent["prov:label"] = host.value("hostname", "");
        // The hardware and system the model was made on.
        for (const auto& [key, term] : {std::pair{"os", "cairn:os"}, {"kernel", "cairn:kernel"}, {"arch", "cairn:arch"},
                                        {"cpu_model", "cairn:cpuModel"}, {"cpu_cores", "cairn:cpuCores"},
                                        {"memory_total_bytes", "cairn:memoryBytes"}}) {
          if (host.contains(key)) agent[term] = host[key];
        }
      }
      Agent(host_id, agent);
      Relation("wasAssociatedWith", {{"prov:activity", id}, {"prov:agent", host_id}});
    }
    SoftwareUsed(id, context);
    // The files the command named, by content: outside git the code's record.
    const json files = context.value("program_files", json::array());
    for (const auto& f : files.is_array() ? files : json::array()) {
      if (!f.value("sha256", json()).is_string()) continue;
      std::string file_id = "cairn:file-" + f["sha256"].get<std::string>().substr(0, 16);
      Entity(file_id, {{"prov:type", "cairn:ProgramFile"}, {"prov:label", f.value("path", "")},
                       {"cairn:sha256", f["sha256"]}, {"cairn:bytes", f.value("bytes", int64_t{0})}});
      Used(id, file_id);
    }
    int g = 0;
    for (const auto& gpu : context.value("gpus", json::array())) {
      std::string gpu_id = fmt::format("study:t{}-gpu{}", number, g++);
      json e = {{"prov:type", "cairn:Gpu"}, {"prov:label", gpu.value("name", "unknown GPU")}};
      for (const auto& [key, term] : {std::pair{"uuid", "cairn:uuid"}, {"memory_total_bytes", "cairn:memoryBytes"},
                                      {"driver_version", "cairn:driverVersion"}, {"cuda_version", "cairn:cudaVersion"}}) {
        if (gpu.contains(key)) e[term] = gpu[key];
      }
      Entity(gpu_id, std::move(e));
      Used(id, gpu_id);
    }
    for (const char* key : {"retry_of", "rerun_of", "reproduce_of"}) {
      auto it = t["attrs"].find(key);
      if (it == t["attrs"].end() || !it->is_number_integer()) continue;
      Relation("wasInformedBy", {{"prov:informed", id},
                                 {"prov:informant", fmt::format("study:t{}", it->get<int>())},
                                 {"prov:type", std::string("cairn:") + key}});
    }
  }

  // The study file in force when the trial was created: the first earlier
  // one replaced after that, else the current one.
  std::string StudyFileOf(const json& t) const {
    if (auto created = FiniteNumber(t.value("created_at", json()))) {
      for (const auto& [replaced_at, id] : replaced_) {
        if (*created < replaced_at) return id;
      }
    }
    return "study:study-file";
  }

  const json& bundle_;
  json doc_;
  int counter_ = 0;
  std::vector<std::pair<double, std::string>> replaced_;  // earlier study files, in order
};

}  // namespace

Result<json> BuildProv(const json& bundle) {
  CAIRN_TRY(ValidateBundle(bundle));
  return GuardJson("PROV", [&]() -> Result<json> { return ProvBuilder(bundle).Build(); });
}

}  // namespace cairn
