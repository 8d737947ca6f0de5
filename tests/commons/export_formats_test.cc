// RO-Crate, PROV-JSON, model card and curves built from a bundle, each
// checked against the requirements of its format.
#include <regex>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "cairn/curves_file.h"
#include "cairn/export.h"
#include "cairn/hash.h"
#include "commons/export_fixture.h"

namespace cairn {
namespace {

using nlohmann::json;
using testing::MakeExportFixture;
using testing::MakeTempDir;
using testing::ReadFile;

bool IsIso8601(const json& v) {
  static const std::regex kIso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))");
  return v.is_string() && std::regex_match(v.get<std::string>(), kIso);
}

bool HasType(const json& entity, const std::string& type) {
  const json& t = entity["@type"];
  if (t.is_string()) return t == type;
  for (const auto& x : t) if (x == type) return true;
  return false;
}

// Every {"@id": X} reference below `j` (not the entity ids themselves).
void CollectRefs(const json& j, bool top, std::vector<std::string>* out) {
  if (j.is_array()) {
    for (const auto& v : j) CollectRefs(v, false, out);
  } else if (j.is_object()) {
    if (!top && j.size() == 1 && j.contains("@id")) {
      out->push_back(j["@id"].get<std::string>());
      return;
    }
    for (auto it = j.begin(); it != j.end(); ++it) CollectRefs(it.value(), false, out);
  }
}

std::vector<json> AsList(const json& j) {
  if (j.is_array()) return j.get<std::vector<json>>();
  return {j};
}

class ExportFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("cairn-formats");
    auto f = MakeExportFixture(dir_ / "a.db");
    auto b = ExportBundle(*f.store, "digits");
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    bundle_ = *b;
    fixture_ = std::move(f);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  testing::ExportFixture fixture_;
  json bundle_;
};

// Exporting again replaces the earlier crate as a whole (no file of a trial
// that is gone lingers); a folder of other files is refused and untouched.
TEST_F(ExportFormatsTest, RoCrateReplacesAnEarlierCrateAndRefusesOtherFolders) {
  std::filesystem::path crate_dir = dir_ / "crate";
  ASSERT_TRUE(WriteRoCrate(bundle_, crate_dir).ok());
  testing::WriteFile(crate_dir / "trials" / "99" / "metrics.csv", "stale\n");
  ASSERT_TRUE(WriteRoCrate(bundle_, crate_dir.string() + "/").ok());
  EXPECT_FALSE(std::filesystem::exists(crate_dir / "trials" / "99"));
  EXPECT_TRUE(std::filesystem::exists(crate_dir / "ro-crate-metadata.json"));
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".crate.cairn-"), std::string::npos) << "left behind: " << entry.path();
  }

  std::filesystem::path mine = dir_ / "mine";
  testing::WriteFile(mine / "notes.txt", "my notes\n");
  Status refused = WriteRoCrate(bundle_, mine);
  EXPECT_EQ(refused.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(refused.message().find("no ro-crate-metadata.json"), std::string::npos) << refused.message();
  EXPECT_EQ(ReadFile(mine / "notes.txt"), "my notes\n");
  EXPECT_FALSE(std::filesystem::exists(mine / "ro-crate-metadata.json"));

  std::filesystem::path empty = dir_ / "empty";
  std::filesystem::create_directories(empty);
  ASSERT_TRUE(WriteRoCrate(bundle_, empty).ok());
  EXPECT_TRUE(std::filesystem::exists(empty / "ro-crate-metadata.json"));
}

// A folder declared with its slash ("data/") is one folder, one slash.
TEST_F(ExportFormatsTest, RoCrateNamesAFolderWithOneSlash) {
  json slashed = bundle_;
  for (auto& t : slashed["trials"]) {
    if (!t["attrs"].contains("context")) continue;
    for (auto& d : t["attrs"]["context"]["datasets"]) d["path"] = "/work/data/";
  }
  auto crate = BuildRoCrate(slashed);
  ASSERT_TRUE(crate.ok()) << crate.status().ToString();
  bool found = false;
  for (const auto& e : (*crate)["@graph"]) {
    const std::string id = e["@id"].get<std::string>();
    EXPECT_EQ(id.find("data//"), std::string::npos) << id;
    found |= id == "file:///work/data/";
  }
  EXPECT_TRUE(found) << crate->dump(1);
}

// The data changed between trials (edited before a resume): each content
// is its own entity, and each trial cites the one it used; once every
// trial cited the first trial's hash.
TEST_F(ExportFormatsTest, RoCrateDescribesEachContentOfAChangedDataset) {
  json changed = bundle_;
  const std::string later_sha(64, 'b');
  std::string path, first_sha;
  for (auto& t : changed["trials"]) {
    if (t["number"] != 3 || !t["attrs"].contains("context")) continue;
    for (auto& d : t["attrs"]["context"]["datasets"]) {
      path = d.value("path", "");
      first_sha = d.value("file_sha256", d.value("sha256", ""));
      d["sha256"] = later_sha;
      d["file_sha256"] = later_sha;
    }
  }
  ASSERT_FALSE(path.empty());
  auto crate = BuildRoCrate(changed);
  ASSERT_TRUE(crate.ok()) << crate.status().ToString();
  std::map<std::string, std::string> sha_of;  // @id -> sha256
  std::map<std::string, std::set<std::string>> used;  // action @id -> dataset @ids
  for (const auto& e : (*crate)["@graph"]) {
    if (e.value("alternateName", "") == path) sha_of[e["@id"]] = e.value("sha256", "");
    if (e.value("@type", "") == "CreateAction") {
      for (const auto& o : e.value("object", json::array())) used[e["@id"]].insert(o.value("@id", ""));
    }
  }
  ASSERT_EQ(sha_of.size(), 2u) << crate->dump(1);
  std::set<std::string> shas;
  for (const auto& [id, sha] : sha_of) shas.insert(sha);
  EXPECT_TRUE(shas.count(later_sha));
  ASSERT_TRUE(used.count("#trial-3") && used.count("#trial-0")) << crate->dump(1);
  for (const auto& [action, ids] : used) {
    for (const auto& id : ids) {
      if (!sha_of.count(id)) continue;
      EXPECT_EQ(sha_of[id] == later_sha, action == "#trial-3") << action << " uses " << id;
    }
  }
}

TEST_F(ExportFormatsTest, RoCrateMeetsProcessRunCrateRequirements) {
  std::filesystem::path crate_dir = dir_ / "crate";
  ASSERT_TRUE(WriteRoCrate(bundle_, crate_dir).ok());
  json crate = json::parse(ReadFile(crate_dir / "ro-crate-metadata.json"));
  ASSERT_TRUE(crate["@context"].is_array());
  EXPECT_EQ(crate["@context"][0], "https://w3id.org/ro/crate/1.1/context");
  std::map<std::string, json> by_id;
  for (const auto& e : crate["@graph"]) {
    ASSERT_TRUE(e.contains("@id") && e.contains("@type")) << e.dump();
    EXPECT_TRUE(by_id.emplace(e["@id"].get<std::string>(), e).second) << "duplicate @id " << e["@id"];
  }
  // Metadata descriptor (RO-Crate 1.1).
  const json& descriptor = by_id.at("ro-crate-metadata.json");
  EXPECT_TRUE(HasType(descriptor, "CreativeWork"));
  EXPECT_EQ(descriptor["conformsTo"]["@id"], "https://w3id.org/ro/crate/1.1");
  EXPECT_EQ(descriptor["about"]["@id"], "./");
  // Root data entity: Dataset with name, description, datePublished, license, profile.
  const json& root = by_id.at("./");
  EXPECT_TRUE(HasType(root, "Dataset"));
  for (const char* key : {"name", "description", "datePublished", "hasPart", "license"}) {
    EXPECT_TRUE(root.contains(key)) << key;
  }
  EXPECT_TRUE(IsIso8601(root["datePublished"])) << root["datePublished"];
  EXPECT_EQ(root["identifier"], fixture_.study_ark);
  EXPECT_EQ(root["conformsTo"]["@id"], "https://w3id.org/ro/wfrun/process/0.5");
  EXPECT_TRUE(HasType(by_id.at("https://w3id.org/ro/wfrun/process/0.5"), "CreativeWork"));
  // The program names Python and the notable packages it ran with.
  std::set<std::string> requirements;
  for (const auto& r : by_id.at("#training-program")["softwareRequirements"]) {
    const json& app = by_id.at(r["@id"].get<std::string>());
    EXPECT_TRUE(HasType(app, "SoftwareApplication"));
    requirements.insert(app["name"].get<std::string>() + " " + app["version"].get<std::string>());
  }
  EXPECT_TRUE(requirements.count("torch 2.1.0")) << json(requirements).dump();
  // Every reference resolves, except the vocabulary terms and specifications.
  std::vector<std::string> refs;
  CollectRefs(crate["@graph"], true, &refs);
  for (const auto& ref : refs) {
    bool vocabulary = ref.rfind("http://schema.org/", 0) == 0 || ref == "https://w3id.org/ro/crate/1.1";
    EXPECT_TRUE(vocabulary || by_id.count(ref)) << "dangling reference " << ref;
  }
  // Every data entity of the crate (relative id) is on disk and in hasPart.
  std::set<std::string> parts;
  for (const auto& p : root["hasPart"]) parts.insert(p["@id"].get<std::string>());
  for (const auto& [id, e] : by_id) {
    if (!HasType(e, "File") && !HasType(e, "Dataset")) continue;
    if (id == "./") continue;
    EXPECT_TRUE(parts.count(id)) << id << " not in hasPart";
    if (id.find(':') == std::string::npos) {
      EXPECT_TRUE(std::filesystem::exists(crate_dir / id)) << id;
    }
  }
  // The program (instrument), named, versioned by the code commit.
  const json& program = by_id.at("#training-program");
  EXPECT_TRUE(HasType(program, "SoftwareApplication"));
  EXPECT_EQ(program["name"], "python3 train.py");
  EXPECT_EQ(program["version"], std::string(40, 'a') + "-dirty");
  // One CreateAction per trial, mentioned by the root.
  int actions = 0;
  for (const auto& [id, e] : by_id) {
    if (!HasType(e, "CreateAction")) continue;
    ++actions;
    for (const char* key : {"instrument", "object", "result", "actionStatus", "name", "startTime", "endTime", "agent"}) {
      EXPECT_TRUE(e.contains(key)) << id << " lacks " << key;
    }
    EXPECT_TRUE(IsIso8601(e["startTime"]) && IsIso8601(e["endTime"])) << id;
    EXPECT_TRUE(HasType(by_id.at(e["instrument"]["@id"]), "SoftwareApplication"));
    EXPECT_TRUE(HasType(by_id.at(e["agent"]["@id"]), "Person"));
    bool has_metrics = false;
    for (const auto& r : AsList(e["result"])) {
      const json& file = by_id.at(r["@id"]);
      EXPECT_TRUE(HasType(file, "File")) << r;
      if (file.value("encodingFormat", "") == "text/csv") {
        has_metrics = true;
      } else {
        EXPECT_TRUE(file.contains("sha256") && file.contains("contentSize")) << file;
      }
    }
    EXPECT_TRUE(has_metrics) << id;
    for (const auto& o : AsList(e["object"])) {
      const json& obj = by_id.at(o["@id"]);
      EXPECT_TRUE(HasType(obj, "File") || HasType(obj, "Dataset") || HasType(obj, "PropertyValue")) << obj;
      if (HasType(obj, "Dataset")) {
        EXPECT_EQ(obj["sha256"], fixture_.dataset_sha);
      }
    }
    for (const auto& env : AsList(e["environment"])) EXPECT_TRUE(HasType(by_id.at(env["@id"]), "PropertyValue"));
  }
  EXPECT_EQ(actions, 4);
  EXPECT_EQ(root["mentions"].size(), 4u);
  EXPECT_EQ(by_id.at("#trial-0")["actionStatus"]["@id"], "http://schema.org/CompletedActionStatus");
  EXPECT_EQ(by_id.at("#trial-1")["actionStatus"]["@id"], "http://schema.org/FailedActionStatus");
  EXPECT_NE(by_id.at("#trial-1")["name"].get<std::string>().find("median"), std::string::npos);
  EXPECT_EQ(by_id.at("#trial-2")["identifier"], TrialArk(fixture_.study_ark, 2));
  // The metrics file: header, one row per point, NaN spelled out.
  std::string csv = ReadFile(crate_dir / "trials/2/metrics.csv");
  EXPECT_EQ(csv.rfind("step,key,value\n", 0), 0u);
  EXPECT_NE(csv.find("3,acc,nan\n"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 10);
}

TEST_F(ExportFormatsTest, RoCrateWithoutLicenseSaysSo) {
  json bundle = bundle_;
  bundle["study"]["attrs"].erase("license");
  auto crate = BuildRoCrate(bundle);
  ASSERT_TRUE(crate.ok());
  const json& root = (*crate)["@graph"][1];
  ASSERT_EQ(root["@id"], "./");
  ASSERT_EQ(root["license"]["@id"], "#license-not-stated");
  bool defined = false;
  for (const auto& e : (*crate)["@graph"]) defined |= e["@id"] == "#license-not-stated";
  EXPECT_TRUE(defined);
}

// The reference JavaScript library (npm "ro-crate") checks the crate when it
// is installed (npm install -g ro-crate).
TEST_F(ExportFormatsTest, RoCrateJsValidatorFindsNoErrors) {
  std::filesystem::path lib = "/usr/lib/node_modules/ro-crate";
  if (const char* env = std::getenv("CAIRN_ROCRATE_JS")) lib = env;
  if (std::system("node --version >/dev/null 2>&1") != 0 || !std::filesystem::exists(lib)) {
    GTEST_SKIP() << "node or the npm package ro-crate is not installed (npm install -g ro-crate)";
  }
  std::filesystem::path crate_dir = dir_ / "crate";
  ASSERT_TRUE(WriteRoCrate(bundle_, crate_dir).ok());
  // Tests never use the network, and the library bundles only the RO-Crate
  // 1.2 context: the 1.1 context (whose schema.org terms 1.2 keeps) and the
  // workflow-run terms are handed to it from there. Errors only.
  testing::WriteFile(dir_ / "check.js", R"(
const fs = require('fs');
const path = require('path');
const lib = process.argv[2];
const {Validator} = require(lib);
(async () => {
  const v = new Validator();
  v.parseJSON(fs.readFileSync(process.argv[3] + '/ro-crate-metadata.json', 'utf8'));
  const terms = require(path.join(lib, 'lib/context.json'))['@context'];
  v.crate.__contextCache['https://w3id.org/ro/crate/1.1/context'] = terms;
  v.crate.__contextCache['https://w3id.org/ro/terms/workflow-run/context'] = {
    'wfrun': 'https://w3id.org/ro/terms/workflow-run#', 'environment': 'wfrun:environment'};
  await v.validate();
  const errors = v.results.filter(r => r.status === 'error');
  console.log(JSON.stringify(errors));
  process.exit(errors.length ? 1 : 0);
})();
)");
  std::string cmd = "node " + (dir_ / "check.js").string() + " " + lib.string() + " " + crate_dir.string() + " > " +
                    (dir_ / "out.json").string() + " 2>/dev/null";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << ReadFile(dir_ / "out.json");
}

TEST_F(ExportFormatsTest, ProvJsonIsStructurallyValid) {
  auto prov = BuildProv(bundle_);
  ASSERT_TRUE(prov.ok()) << prov.status().ToString();
  static const std::set<std::string> kTopLevel = {
      "prefix", "entity", "activity", "agent", "used", "wasGeneratedBy", "wasAssociatedWith", "wasInformedBy",
      "wasAttributedTo", "wasDerivedFrom", "actedOnBehalfOf", "wasStartedBy", "wasEndedBy", "bundle"};
  for (auto it = prov->begin(); it != prov->end(); ++it) EXPECT_TRUE(kTopLevel.count(it.key())) << it.key();
  const json& prefix = (*prov)["prefix"];
  // Every qualified name's prefix is declared (or a PROV/XSD one).
  auto declared = [&](const std::string& name) {
    auto colon = name.find(':');
    if (colon == std::string::npos) return false;
    std::string p = name.substr(0, colon);
    return p == "_" || p == "prov" || p == "xsd" || prefix.contains(p);
  };
  std::set<std::string> entities, activities, agents;
  for (auto [kind, set] : {std::pair{"entity", &entities}, {"activity", &activities}, {"agent", &agents}}) {
    for (auto it = (*prov)[kind].begin(); it != (*prov)[kind].end(); ++it) {
      EXPECT_TRUE(declared(it.key())) << it.key();
      set->insert(it.key());
      for (auto a = it.value().begin(); a != it.value().end(); ++a) EXPECT_TRUE(declared(a.key())) << a.key();
    }
  }
  EXPECT_EQ(activities.size(), 4u);
  for (const auto& id : activities) {
    const json& a = (*prov)["activity"][id];
    EXPECT_TRUE(IsIso8601(a["prov:startTime"]) && IsIso8601(a["prov:endTime"])) << id;
  }
  auto check = [&](const char* relation, const char* field, const std::set<std::string>& ids) {
    ASSERT_TRUE(prov->contains(relation)) << relation;
    for (auto it = (*prov)[relation].begin(); it != (*prov)[relation].end(); ++it) {
      EXPECT_TRUE(ids.count(it.value()[field].get<std::string>())) << relation << " " << it.value().dump();
    }
  };
  check("used", "prov:activity", activities);
  check("used", "prov:entity", entities);
  check("wasGeneratedBy", "prov:entity", entities);
  check("wasGeneratedBy", "prov:activity", activities);
  check("wasAssociatedWith", "prov:activity", activities);
  check("wasAssociatedWith", "prov:agent", agents);
  check("wasInformedBy", "prov:informed", activities);
  check("wasInformedBy", "prov:informant", activities);
  // The retry is informed by the trial it retries; datasets are used by hash.
  ASSERT_EQ((*prov)["wasInformedBy"].size(), 1u);
  const json& informed = (*prov)["wasInformedBy"].begin().value();
  EXPECT_EQ(informed["prov:informed"], "study:t3");
  EXPECT_EQ(informed["prov:informant"], "study:t2");
  // One entity per dataset file, found by its hash and location.
  auto datasets_of = [&](const json& doc) {
    std::set<std::string> locations;
    for (auto it = doc["entity"].begin(); it != doc["entity"].end(); ++it) {
      if (it.value().value("cairn:sha256", "") == fixture_.dataset_sha) {
        EXPECT_EQ(it.key().rfind("cairn:dataset-", 0), 0u) << it.key();
        locations.insert(it.value().value("prov:location", ""));
      }
    }
    return locations;
  };
  EXPECT_EQ(datasets_of(*prov).size(), 1u) << "the same file in every trial is one entity";
  // The same bytes at another path are another dataset, with its own location.
  json twin = bundle_;
  for (auto& t : twin["trials"]) {
    json& ds = t["attrs"]["context"]["datasets"];
    if (!ds.is_array() || ds.empty()) continue;
    json copy = ds[0];
    copy["path"] = "/elsewhere/copy.csv";
    ds.push_back(copy);
  }
  auto twin_prov = BuildProv(twin);
  ASSERT_TRUE(twin_prov.ok()) << twin_prov.status().ToString();
  const std::set<std::string> locations = datasets_of(*twin_prov);
  EXPECT_EQ(locations.size(), 2u);
  EXPECT_TRUE(locations.count("/elsewhere/copy.csv"));
  EXPECT_EQ((*prov)["agent"]["cairn:cairn"]["cairn:version"], "0.1.0");
  EXPECT_EQ(prefix["study"], "https://n2t.net/" + fixture_.study_ark + "/");
  // What the model was made on: the host's hardware, the software
  // environment (Python and notable packages) and the GPU, each used by the trial.
  bool host = false, software = false, gpu = false;
  for (auto it = (*prov)["agent"].begin(); it != (*prov)["agent"].end(); ++it) {
    host |= it.value().value("cairn:cpuModel", "") == "EPYC" && it.value().value("cairn:cpuCores", 0) == 64;
  }
  for (auto it = (*prov)["entity"].begin(); it != (*prov)["entity"].end(); ++it) {
    software |= it.value().value("cairn:packages", "").find("torch 2.1.0") != std::string::npos;
    gpu |= it.value().value("prov:label", "") == "Fake A100-SXM4-80GB";
  }
  EXPECT_TRUE(host && software && gpu) << prov->dump(1);
  EXPECT_EQ((*prov)["entity"]["cairn:file-ffffffffffffffff"]["prov:label"], "train.py");
  // The study file's hash is of its text, so `sha256sum study.yaml` checks it.
  EXPECT_EQ((*prov)["entity"]["study:study-file"]["cairn:sha256"], Sha256Hex(testing::kFixtureYaml));
}

// A resume with a changed study file: trials created before the change used
// the earlier file, and PROV says so.
TEST_F(ExportFormatsTest, ProvLinksEachTrialToTheStudyFileItRanUnder) {
  json bundle = bundle_;
  bundle["study"]["attrs"]["earlier_specs"] = json::array(
      {{{"spec_yaml", "name: digits\n# the first file\n"}, {"spec_json", json::object()}, {"replaced_at", 1700000011.5}}});
  auto prov = BuildProv(bundle);
  ASSERT_TRUE(prov.ok()) << prov.status().ToString();
  const json& old_file = (*prov)["entity"]["study:study-file-v1"];
  EXPECT_EQ(old_file["cairn:sha256"], Sha256Hex("name: digits\n# the first file\n"));
  std::map<std::string, std::string> file_of;  // trial activity -> the study file it used
  for (auto it = (*prov)["used"].begin(); it != (*prov)["used"].end(); ++it) {
    const std::string entity = it.value()["prov:entity"].get<std::string>();
    if (entity.rfind("study:study-file", 0) == 0) file_of[it.value()["prov:activity"].get<std::string>()] = entity;
  }
  // Trials 0 and 1 were created at ...10 and ...11, before the change at ...11.5.
  EXPECT_EQ(file_of["study:t0"], "study:study-file-v1");
  EXPECT_EQ(file_of["study:t1"], "study:study-file-v1");
  EXPECT_EQ(file_of["study:t2"], "study:study-file");
}

TEST_F(ExportFormatsTest, ModelCardFrontMatterParsesAndHoldsTheBestTrial) {
  auto best = BestTrialNumber(bundle_);
  ASSERT_TRUE(best.ok());
  EXPECT_EQ(*best, 0);  // 0.91 beats the retry's 0.88; the NaN trial never counts
  std::filesystem::path out = dir_ / "README.md";
  ASSERT_TRUE(ExportStudy(*fixture_.store, "digits", {.format = ExportFormat::kModelCard, .output = out}).ok());
  std::string card = ReadFile(out);
  ASSERT_EQ(card.rfind("---\n", 0), 0u);
  size_t end = card.find("\n---\n", 4);
  ASSERT_NE(end, std::string::npos);
  YAML::Node front = YAML::Load(card.substr(4, end - 4));
  EXPECT_EQ(front["library_name"].as<std::string>(), "python3 train.py");
  bool tagged = false;
  for (const auto& t : front["tags"]) tagged |= t.as<std::string>() == "cairn";
  EXPECT_TRUE(tagged);
  EXPECT_EQ(front["datasets"][0].as<std::string>(), "sha256:" + fixture_.dataset_sha);
  YAML::Node result = front["model-index"][0]["results"][0];
  EXPECT_EQ(result["task"]["type"].as<std::string>(), "hyperparameter-search");
  std::map<std::string, double> metrics;
  for (const auto& m : result["metrics"]) metrics[m["type"].as<std::string>()] = m["value"].as<double>();
  EXPECT_DOUBLE_EQ(metrics.at("acc"), 0.91);  // trial 0's final acc = 0.91 * 3 / 3
  EXPECT_DOUBLE_EQ(metrics.at("loss"), 1.0 / 3);
  EXPECT_FALSE(metrics.count("sys/cpu_percent"));
  std::string body = card.substr(end);
  for (std::string want : {std::string("cairn reproduce digits 0"), TrialArk(fixture_.study_ark, 0),
                           std::string("| Seed | 100 |"), std::string("| lr | `0.01` |"),
                           std::string("Fake A100-SXM4-80GB"), std::string("torch 2.1.0"), std::string("gpu7"),
                           "| File `train.py` | sha256 `" + std::string(64, 'f') + "` |"}) {
    EXPECT_NE(body.find(want), std::string::npos) << want;
  }
  // The objective has a best; the loss beside it has no known direction, so
  // its row gives min and max, not its maximum as "best".
  EXPECT_NE(body.find("| loss | 0.3333333333333333 | - | 0.3333333333333333 | 1.0 | 3 |"), std::string::npos) << body;
  // Another trial on request; an unknown one is NotFound.
  ASSERT_TRUE(BuildModelCard(bundle_, 1).ok());
  EXPECT_NE(BuildModelCard(bundle_, 1)->find("stopped"), std::string::npos);
  EXPECT_EQ(BuildModelCard(bundle_, 9).status().code(), StatusCode::kNotFound);
  // The trials the study holds, not the first run's budget.trials.
  json more = bundle_;
  more["study"]["spec_json"]["budget"]["trials"] = 1;
  auto card_more = BuildModelCard(more, 0);
  ASSERT_TRUE(card_more.ok());
  EXPECT_NE(card_more->find(fmt::format("Cairn searched {} trials", more["trials"].size())), std::string::npos)
      << *card_more;
  // Table cells and the command survive characters Markdown and shells
  // treat specially: a '|' is escaped, an argv word with a space quoted.
  json odd = bundle_;
  for (auto& t : odd["trials"]) {
    if (t["number"] != 0) continue;
    t["params"]["a|b"] = "x|y";
    t["attrs"]["argv"] = {"python3", "train.py", "--note", "two words", "it's"};
  }
  auto card_odd = BuildModelCard(odd, 0);
  ASSERT_TRUE(card_odd.ok()) << card_odd.status().ToString();
  EXPECT_NE(card_odd->find("| a\\|b | `\"x\\|y\"` |"), std::string::npos) << *card_odd;
  EXPECT_NE(card_odd->find("python3 train.py --note 'two words' 'it'\\''s'"), std::string::npos) << *card_odd;
  // A trial whose every value was NaN: its metrics are an empty list.
  json all_nan = bundle_;
  for (auto& row : all_nan["metrics"]["2"]) row[2] = "nan";
  auto card2 = BuildModelCard(all_nan, 2);
  ASSERT_TRUE(card2.ok()) << card2.status().ToString();
  YAML::Node front2 = YAML::Load(card2->substr(4, card2->find("\n---\n", 4) - 4));
  EXPECT_TRUE(front2["model-index"][0]["results"][0]["metrics"].IsSequence()) << *card2;
  EXPECT_EQ(front2["model-index"][0]["results"][0]["metrics"].size(), 0u);
  // ... and its table says they were NaN rather than dropping them.
  EXPECT_NE(card2->find("| nan | - | - | - |"), std::string::npos) << *card2;
  // A trial run under an earlier study file says what it ran under.
  json resumed = bundle_;
  for (auto& t : resumed["trials"]) {
    if (t["number"] == 1) t["attrs"]["search"] = {{"sampler", "grid"}, {"pruner", "asha"}};
  }
  auto card1 = BuildModelCard(resumed, 1);
  ASSERT_TRUE(card1.ok());
  EXPECT_NE(card1->find("This trial ran under an earlier study file: the `grid` sampler and the `asha` rule."),
            std::string::npos) << *card1;
}

TEST_F(ExportFormatsTest, CurvesHoldObjectiveByStepAndSecondsPerStep) {
  std::filesystem::path out = dir_ / "curves.jsonl";
  ASSERT_TRUE(ExportStudy(*fixture_.store, "digits", {.format = ExportFormat::kCurves, .output = out}).ok());
  auto curves = ReadCurvesFile(out);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  ASSERT_EQ(curves->size(), 4u);
  const CurveRecord& c0 = (*curves)[0];
  EXPECT_EQ(c0.metric, "acc");
  EXPECT_EQ(c0.direction, Direction::kMaximize);
  ASSERT_EQ(c0.values.size(), 3u);
  EXPECT_DOUBLE_EQ(c0.values[2], 0.91);
  ASSERT_EQ(c0.seconds.size(), 3u);
  EXPECT_DOUBLE_EQ(c0.seconds[0], 10.0);  // started_at + 10 s
  EXPECT_DOUBLE_EQ(c0.seconds[1], 10.0);
  EXPECT_EQ(std::get<int64_t>(c0.params.at("width")), 64);
  EXPECT_TRUE(std::isnan((*curves)[2].values[2]));  // the NaN report stays a gap
  // The study's bounds and each trial's end come along, so a replay or an
  // index of the file knows the metric's range and which curves were cut.
  EXPECT_EQ(c0.lower_bound, 0.0);
  EXPECT_EQ(c0.upper_bound, 1.0);
  EXPECT_TRUE(RanToItsEnd(c0));
  EXPECT_EQ((*curves)[1].extra["state"], "stopped");
  EXPECT_FALSE(RanToItsEnd((*curves)[1]));
  EXPECT_FALSE(RanToItsEnd((*curves)[2]));  // failed
}

// Reports past the study's max_steps are points, not the trial's value:
// the curves stop at it, as a replay and the index read a study.
TEST_F(ExportFormatsTest, CurvesStopAtTheStudysMaxSteps) {
  json capped = bundle_;
  capped["study"]["spec_json"]["budget"]["max_steps"] = 2;
  auto curves = BuildCurves(capped);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  ASSERT_FALSE(curves->empty());
  EXPECT_EQ((*curves)[0].values.size(), 2u);
  EXPECT_EQ((*curves)[0].steps.back(), 2);
}

// A stopped trial's reports after the stop (a program ahead of the
// signal) are points, not its curve: the curve ends at its value step, as
// the plot's does, so a replay of the study's own rule saves nothing there.
TEST_F(ExportFormatsTest, CurvesEndAtTheValueStep) {
  json stopped = bundle_;
  stopped["trials"][0]["attrs"]["value_step"] = 1;
  auto curves = BuildCurves(stopped);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  ASSERT_FALSE(curves->empty());
  EXPECT_EQ((*curves)[0].steps, (std::vector<int64_t>{1}));
  EXPECT_EQ((*curves)[0].values.size(), 1u);
}

TEST_F(ExportFormatsTest, MalformedBundlesAreErrorsNotCrashes) {
  json no_attrs = bundle_;
  no_attrs["trials"][1].erase("attrs");
  EXPECT_EQ(BuildRoCrate(no_attrs).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildProv(no_attrs).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildModelCard(no_attrs, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildCurves(no_attrs).status().code(), StatusCode::kInvalidArgument);
  // Odd content deep in the recorded context (attrs are open-ended).
  json odd = bundle_;
  odd["trials"][0]["attrs"]["context"]["datasets"] = {"not an object"};
  EXPECT_EQ(BuildRoCrate(odd).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildProv(odd).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildModelCard(odd, 0).status().code(), StatusCode::kInvalidArgument);
}

// Every format is for sharing: a secret in the study file's env or on a
// command line reaches none of them, and the bundle still imports.
TEST_F(ExportFormatsTest, NoFormatCarriesASecret) {
  Store& store = *fixture_.store;
  auto study = store.GetStudy("digits");
  ASSERT_TRUE(study.ok());
  std::string yaml = testing::kFixtureYaml;
  yaml.replace(yaml.find("\"--opt\""), 7, "\"--api-key\", \"sk-live-123456\", \"--opt\"");
  yaml += "env: {HF_TOKEN: \"hf_supersecret\", DB_URL: \"postgresql://bob:hunter2@db/x\", MODE: fast}\n";
  auto spec = ParseStudyText(yaml, "/work/study.yaml", "/work");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  study->spec_yaml = yaml;
  nlohmann::json context = study->spec_json.value("context", nlohmann::json());
  study->spec_json = spec->ToJson();
  if (!context.is_null()) study->spec_json["context"] = context;
  ASSERT_TRUE(store.UpdateStudy(*study).ok());
  auto t0 = store.GetTrialByNumber(study->id, 0);
  ASSERT_TRUE(t0.ok());
  t0->attrs["argv"] = {"/usr/bin/python3", "train.py", "--api-key", "sk-live-123456", "--token=tok987654"};
  // The captured context keeps its own copy of the argv (it leaked from
  // the JSON bundle).
  if (!t0->attrs["context"].is_object()) t0->attrs["context"] = nlohmann::json::object();
  t0->attrs["context"]["argv"] = t0->attrs["argv"];
  ASSERT_TRUE(store.UpdateTrial(*t0).ok());

  std::string all;
  for (ExportFormat format : {ExportFormat::kJson, ExportFormat::kRoCrate, ExportFormat::kProv, ExportFormat::kModelCard}) {
    auto out = dir_ / ("secret-" + std::string(ExportFormatName(format)));
    Status st = ExportStudy(store, "digits", {.format = format, .output = out, .trial = 0});
    ASSERT_TRUE(st.ok()) << ExportFormatName(format) << ": " << st.ToString();
    if (std::filesystem::is_directory(out)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(out)) {
        if (e.is_regular_file()) all += ReadFile(e.path());
      }
    } else {
      all += ReadFile(out);
    }
  }
  for (const char* secret : {"sk-live-123456", "hf_supersecret", "hunter2", "tok987654"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret;
  }
  EXPECT_NE(all.find("--api-key"), std::string::npos);
  EXPECT_NE(all.find("MODE: fast"), std::string::npos) << "the rest of the study file is kept as written";
  // The redacted bundle is still a study file a store can import.
  auto other = OpenStore((dir_ / "b.db").string());
  ASSERT_TRUE(other.ok());
  auto bundle = ReadBundleFile(dir_ / "secret-json");
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_TRUE(ImportBundle(**other, *bundle, {}).ok());
}

TEST(ExportFormatNames, RoundTrip) {
  for (auto name : {"json", "ro-crate", "prov", "model-card", "curves"}) {
    auto f = ParseExportFormat(name);
    ASSERT_TRUE(f.has_value()) << name;
    EXPECT_EQ(ExportFormatName(*f), name);
  }
  EXPECT_FALSE(ParseExportFormat("xml").has_value());
}

}  // namespace
}  // namespace cairn
