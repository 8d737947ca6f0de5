// ExportBundle / ImportBundle: lossless round trips through fresh stores.
#include <gtest/gtest.h>

#include "cairn/export.h"
#include "commons/export_fixture.h"

namespace cairn {
namespace {

using nlohmann::json;
using testing::ExportFixture;
using testing::MakeExportFixture;
using testing::MakeTempDir;

class ExportBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("cairn-export");
    fixture_ = MakeExportFixture(dir_ / "a.db");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> FreshStore(const std::string& name) {
    auto s = OpenStore((dir_ / name).string());
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }

  std::filesystem::path dir_;
  ExportFixture fixture_;
};

TEST_F(ExportBundleTest, HoldsEveryRecordFieldMetricAndBlob) {
  auto bundle = ExportBundle(*fixture_.store, "digits");
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ((*bundle)["format"], "cairn-bundle");
  EXPECT_EQ((*bundle)["version"], 1);
  const json& study = (*bundle)["study"];
  EXPECT_EQ(study["name"], "digits");
  EXPECT_EQ(study["ark"], fixture_.study_ark);
  EXPECT_EQ(study["direction"], "maximize");
  EXPECT_EQ(study["spec_yaml"], testing::kFixtureYaml);
  EXPECT_FALSE(study.contains("id"));
  ASSERT_EQ((*bundle)["trials"].size(), 4u);
  const json& t0 = (*bundle)["trials"][0];
  // Types survive: a float stays a float, an int an int, a bool a bool.
  EXPECT_TRUE(t0["params"]["lr"].is_number_float());
  EXPECT_TRUE(t0["params"]["width"].is_number_integer());
  EXPECT_TRUE(t0["params"]["wide"].is_boolean());
  EXPECT_EQ(t0["params"]["opt"], "adam");
  EXPECT_EQ(t0["ark"], TrialArk(fixture_.study_ark, 0));
  EXPECT_EQ(t0["exit_code"], 0);
  EXPECT_EQ((*bundle)["trials"][1]["signal"], 15);
  EXPECT_EQ((*bundle)["trials"][2]["value"], "nan");
  EXPECT_EQ((*bundle)["trials"][3]["attrs"]["retry_of"], 2);
  // Metrics: ordered by key, step; NaN and inf as strings.
  const json& m2 = (*bundle)["metrics"]["2"];
  ASSERT_EQ(m2.size(), 9u);
  EXPECT_EQ(m2[0][0], "acc");
  EXPECT_EQ(m2[2][2], "nan");
  EXPECT_EQ(m2[5][0], "loss");
  EXPECT_EQ(m2[5][2], "inf");
  // Every referenced blob, with its kind, and nothing missing.
  const json& blobs = (*bundle)["blobs"];
  ASSERT_EQ(blobs.size(), 3u);
  EXPECT_EQ(blobs[fixture_.host.hash]["kind"], "host");
  EXPECT_EQ(blobs[fixture_.software.hash]["kind"], "software_env");
  EXPECT_EQ(blobs[fixture_.diff.hash]["kind"], "git_diff");
  EXPECT_EQ(blobs[fixture_.host.hash]["body"], fixture_.host.body);
  EXPECT_FALSE(bundle->contains("missing_blobs"));
}

TEST_F(ExportBundleTest, ExportImportExportIsByteIdentical) {
  auto first = ExportBundle(*fixture_.store, "digits");
  ASSERT_TRUE(first.ok());
  // Through a file, as `cairn export` / `cairn import` do.
  std::filesystem::path file = dir_ / "digits.json";
  ASSERT_TRUE(ExportStudy(*fixture_.store, "digits", {.format = ExportFormat::kJson, .output = file}).ok());
  auto read = ReadBundleFile(file);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  auto other = FreshStore("b.db");
  // Different ids in the target: a study already there shifts them.
  StudyRecord filler{.name = "other", .objective = "x"};
  ASSERT_TRUE(other->CreateStudy(filler).ok());
  ASSERT_TRUE(ImportBundle(*other, *read).ok());
  auto second = ExportBundle(*other, "digits");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(first->dump(2), second->dump(2));
  EXPECT_NE(other->GetStudy("digits")->id, fixture_.store->GetStudy("digits")->id);
  // The NaN trial value is NaN again, not "no value".
  auto t2 = other->GetTrialByNumber(other->GetStudy("digits")->id, 2);
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(t2->value.has_value());
  EXPECT_TRUE(std::isnan(*t2->value));
}

TEST_F(ExportBundleTest, ATruncatedBundleFileIsNamedWithWhereItBreaks) {
  std::filesystem::path file = dir_ / "digits.json";
  ASSERT_TRUE(ExportStudy(*fixture_.store, "digits", {.format = ExportFormat::kJson, .output = file}).ok());
  std::string text = testing::ReadFile(file);
  testing::WriteFile(file, text.substr(0, text.size() / 2));
  auto read = ReadBundleFile(file);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  // "FILE:LINE:COLUMN: invalid JSON: ..." rather than a bare "not valid JSON".
  EXPECT_NE(read.status().message().find(file.string() + ":"), std::string::npos) << read.status().ToString();
  EXPECT_NE(read.status().message().find("invalid JSON"), std::string::npos) << read.status().ToString();
}

TEST_F(ExportBundleTest, AnRoCrateFolderIsNotABundleAndTheErrorSaysWhatIs) {
  std::filesystem::path crate = dir_ / "crate";
  ASSERT_TRUE(ExportStudy(*fixture_.store, "digits", {.format = ExportFormat::kRoCrate, .output = crate}).ok());
  auto read = ReadBundleFile(crate);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("is a folder; import takes the JSON bundle"), std::string::npos)
      << read.status().ToString();
}

TEST_F(ExportBundleTest, ABadNameSaysWhichNameToChange) {
  auto bundle = ExportBundle(*fixture_.store, "digits");
  ASSERT_TRUE(bundle.ok());
  Status bad_as = ImportBundle(*fixture_.store, *bundle, {.rename_to = "bad name"});
  EXPECT_EQ(bad_as.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_as.message().rfind("--as 'bad name' has characters outside", 0), 0u) << bad_as.message();
  EXPECT_EQ(bad_as.message().find("(--as NAME)"), std::string::npos) << bad_as.message();
  (*bundle)["study"]["name"] = "bad/name";
  Status bad_bundle = ImportBundle(*fixture_.store, *bundle);
  EXPECT_NE(bad_bundle.message().find("the bundle's study name 'bad/name'"), std::string::npos)
      << bad_bundle.message();
  EXPECT_NE(bad_bundle.message().find("(--as NAME)"), std::string::npos) << bad_bundle.message();
}

TEST_F(ExportBundleTest, ImportRefusesATakenNameUnlessRenamed) {
  auto bundle = ExportBundle(*fixture_.store, "digits");
  ASSERT_TRUE(bundle.ok());
  Status taken = ImportBundle(*fixture_.store, *bundle);
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(taken.message().find("--as"), std::string::npos) << taken.message();
  ASSERT_TRUE(ImportBundle(*fixture_.store, *bundle, {.rename_to = "digits-copy"}).ok());
  auto copy = ExportBundle(*fixture_.store, "digits-copy");
  ASSERT_TRUE(copy.ok());
  // A copy beside its original: its own identifiers (one ARK, one study),
  // saying whose copy it is; everything else as it was.
  const std::string original_ark = (*bundle)["study"]["ark"];
  const std::string copy_ark = (*copy)["study"]["ark"];
  EXPECT_NE(copy_ark, original_ark);
  EXPECT_TRUE(ValidateArk(copy_ark).ok()) << copy_ark;
  EXPECT_EQ((*copy)["study"]["attrs"]["copy_of"], original_ark);
  EXPECT_EQ((*copy)["trials"][1]["ark"], TrialArk(copy_ark, 1));
  json expected = *bundle;
  expected["study"]["name"] = "digits-copy";
  expected["study"]["ark"] = copy_ark;
  expected["study"]["attrs"]["copy_of"] = original_ark;
  for (auto& t : expected["trials"]) t["ark"] = TrialArk(copy_ark, t["number"].get<int>());
  EXPECT_EQ(expected.dump(2), copy->dump(2));  // numbers and all else kept
  // A study's name becomes a folder of trial folders: no path tricks.
  for (const char* bad : {"../../escape", "a b/c", ".."}) {
    Status refused = ImportBundle(*fixture_.store, *bundle, {.rename_to = bad});
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(refused.message().find("outside [A-Za-z0-9_.-]"), std::string::npos) << refused.message();
  }
  json renamed = *bundle;
  renamed["study"]["name"] = "../x";
  EXPECT_EQ(ImportBundle(*fixture_.store, renamed).code(), StatusCode::kInvalidArgument);
}

TEST_F(ExportBundleTest, MalformedBundlesWriteNothing) {
  auto bundle = ExportBundle(*fixture_.store, "digits");
  ASSERT_TRUE(bundle.ok());
  auto target = FreshStore("c.db");

  json wrong_version = *bundle;
  wrong_version["version"] = 99;
  EXPECT_EQ(ImportBundle(*target, wrong_version).code(), StatusCode::kInvalidArgument);

  json bad_blob = *bundle;
  bad_blob["blobs"][fixture_.host.hash]["body"]["hostname"] = "tampered";
  Status s = ImportBundle(*target, bad_blob);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(fixture_.host.hash), std::string::npos) << s.message();

  json bad_trial = *bundle;
  bad_trial["trials"][3]["state"] = "exploded";
  s = ImportBundle(*target, bad_trial);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("trial 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("state"), std::string::npos) << s.message();

  json bad_metric = *bundle;
  bad_metric["metrics"]["1"][0][2] = "many";
  EXPECT_EQ(ImportBundle(*target, bad_metric).code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(ImportBundle(*target, json{{"format", "something"}}).code(), StatusCode::kInvalidArgument);

  json negative = *bundle;
  negative["trials"][2]["number"] = -2;
  s = ImportBundle(*target, negative);
  EXPECT_EQ(s.message(), "bundle trial -2: field 'number': expected 0 to 2147483647");
  negative["trials"][2]["number"] = int64_t{4294967303};  // would wrap to 7
  EXPECT_EQ(ImportBundle(*target, negative).message(), "bundle trial 4294967303: field 'number': expected 0 to 2147483647");

  // Trial 2 carrying trial 1's identifier would make two trials of one ARK.
  json twin_ark = *bundle;
  twin_ark["trials"][2]["ark"] = twin_ark["trials"][1]["ark"];
  s = ImportBundle(*target, twin_ark);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bundle trial 2: field 'ark': expected \"" + fixture_.study_ark + "/t2\""),
            std::string::npos) << s.message();
  // Counts and times that cannot be: refused, naming the field.
  json negative_steps = *bundle;
  negative_steps["trials"][0]["steps"] = -3;
  s = ImportBundle(*target, negative_steps);
  EXPECT_NE(s.message().find("bundle trial 0: field 'steps'"), std::string::npos) << s.message();
  json backwards = *bundle;
  backwards["trials"][0]["started_at"] = 100.0;
  backwards["trials"][0]["ended_at"] = 50.0;
  s = ImportBundle(*target, backwards);
  EXPECT_NE(s.message().find("bundle trial 0: field 'ended_at'"), std::string::npos) << s.message();
  // Nor can a study without an ARK hand its trials one of any choosing.
  json no_study_ark = *bundle;
  no_study_ark["study"]["ark"] = "";
  no_study_ark["trials"][0]["ark"] = "ark:/99999/whatever";
  s = ImportBundle(*target, no_study_ark);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bundle trial 0: field 'ark': expected none, as the study has no ARK"),
            std::string::npos) << s.message();

  json bad_spec = *bundle;
  bad_spec["study"]["spec_yaml"] = "name: digits\ncommand: [\"train\"]\nspace: {lr: {type: flaot}}\n";
  s = ImportBundle(*target, bad_spec);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bundle study 'digits': field 'spec_yaml': spec_yaml:3:"), std::string::npos)
      << s.message();
  // A study file that parses but contradicts the record: reproduce and a
  // resume would refuse it, so import does.
  json other_space = *bundle;
  std::string yaml = other_space["study"]["spec_yaml"].get<std::string>();
  yaml.replace(yaml.find("high: 256"), 9, "high: 512");
  other_space["study"]["spec_yaml"] = yaml;
  s = ImportBundle(*target, other_space);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("field 'spec_yaml': its space is"), std::string::npos) << s.message();
  json other_metric = *bundle;
  other_metric["study"]["objective"] = "loss";
  s = ImportBundle(*target, other_metric);
  EXPECT_NE(s.message().find("field 'spec_yaml': its objective is acc (maximize) but the study's is loss"),
            std::string::npos) << s.message();

  // Parameters the study's space could not have given: `reproduce` would
  // run them as if recorded. Refused, naming the trial and the field.
  json outside = *bundle;
  outside["trials"][1]["params"]["lr"] = 99.0;
  s = ImportBundle(*target, outside);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bundle trial 1: field 'params': "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("lr"), std::string::npos) << s.message();
  json unknown_choice = *bundle;
  unknown_choice["trials"][0]["params"]["opt"] = "zzz";
  EXPECT_NE(ImportBundle(*target, unknown_choice).message().find("bundle trial 0: field 'params': "),
            std::string::npos);
  json missing = *bundle;
  missing["trials"][2]["params"].erase("width");
  EXPECT_NE(ImportBundle(*target, missing).message().find("bundle trial 2: field 'params': "), std::string::npos);
  // A study identifier that is no ARK (its trials' derive from it).
  json not_an_ark = *bundle;
  not_an_ark["study"]["ark"] = "notanark";
  for (auto& t : not_an_ark["trials"]) t["ark"] = "notanark/t" + std::to_string(t["number"].get<int>());
  s = ImportBundle(*target, not_an_ark);
  EXPECT_NE(s.message().find("bundle study 'digits': field 'ark': identifier 'notanark' does not start with ark:/"),
            std::string::npos) << s.message();

  auto studies = target->ListStudies();
  ASSERT_TRUE(studies.ok());
  EXPECT_TRUE(studies->empty());
}

TEST_F(ExportBundleTest, UnknownStudyIsNotFound) {
  EXPECT_EQ(ExportBundle(*fixture_.store, "nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn
