// A store holding one realistic study for the export/import tests: four
// trials (completed, stopped, failed with NaN, a retry), typed parameters,
// recorded contexts in the layout the coordinator writes, blobs and metrics.
#pragma once

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "cairn/ark.h"
#include "cairn/capture.h"
#include "cairn/spec.h"
#include "cairn/store.h"
#include "support/paths.h"

namespace cairn::testing {

inline const char* kFixtureYaml = R"(name: digits
command: ["/usr/bin/python3", "train.py", "--lr", "{lr}", "--width", "{width}", "--opt", "{opt}"]
space:
  lr: {type: float, low: 1.0e-4, high: 0.3, log: true}
  width: {type: int, low: 16, high: 256}
  opt: {type: categorical, choices: [sgd, adam]}
  wide: {type: categorical, choices: [true, false]}
objective: {metric: acc, direction: maximize, step: epoch, bounds: [0, 1]}
budget: {trials: 4}
sampler: {name: random, seed: 3}
datasets: [data/]
)";

struct ExportFixture {
  std::unique_ptr<Store> store;
  std::string study = "digits";
  std::string study_ark;
  Blob host, software, diff;
  std::string dataset_sha = std::string(64, 'd');
  bool study_attrs_kept = false;  // whether this store keeps StudyRecord.attrs
};

inline nlohmann::json FixtureTrialContext(const ExportFixture& f, int number) {
  return {{"format", 1},
          {"argv", {"/usr/bin/python3", "train.py", "--lr", "0.01"}},
          {"env", {{"USER", "ada"}, {"CAIRN_SEED", std::to_string(100 + number)}, {"HF_TOKEN", "<redacted>"}}},
          {"software", f.software.hash},
          {"container", nullptr},
          {"gpus", {{{"id", "0"}, {"index", 0}, {"name", "Fake A100-SXM4-80GB"}, {"driver_version", "535.1"},
                     {"cuda_version", "12.2"}}}},
          {"datasets", {{{"path", "/work/data"}, {"kind", "directory"}, {"files", 3}, {"bytes", 24},
                         {"sha256", f.dataset_sha}, {"errors", nlohmann::json::array()}}}},
          {"program_files", {{{"path", "train.py"}, {"bytes", 2311}, {"sha256", std::string(64, 'f')}}}},
          {"host", f.host.hash}};
}

// Fills `store` with the study; returns the fixture description.
inline ExportFixture MakeExportFixture(const std::filesystem::path& db) {
  ExportFixture f;
  auto opened = OpenStore(db.string());
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  f.store = std::move(*opened);
  Store& store = *f.store;
  f.host = MakeBlob("host", {{"hostname", "gpu7"}, {"cpu_model", "EPYC"}, {"cpu_cores", 64},
                             {"memory_total_bytes", 1LL << 38}, {"os", "Debian 12"}, {"kernel", "6.1"},
                             {"arch", "x86_64"}});
  f.software = MakeBlob("software_env", {{"python", {{"executable", "/usr/bin/python3"}, {"version", "3.11.2"},
                                                     {"prefix", "/usr"},
                                                     {"packages", {{"torch", "2.1.0"}, {"numpy", "1.24.2"}}}}},
                                         {"conda", nullptr},
                                         {"debian", {{"libc6", "2.36-9"}}}});
  f.diff = MakeBlob("git_diff", {{"diff", "--- a/train.py\n+++ b/train.py\n"}, {"sha256", std::string(64, 'e')}});
  for (const Blob* b : {&f.host, &f.software, &f.diff}) EXPECT_TRUE(store.PutBlob(b->hash, b->kind, b->body).ok());

  auto spec = ParseStudyText(kFixtureYaml, "/work/study.yaml", "/work");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  StudyRecord s;
  s.name = f.study;
  s.objective = "acc";
  s.direction = Direction::kMaximize;
  s.spec_yaml = kFixtureYaml;
  s.spec_json = spec->ToJson();
  s.created_at = 1700000000.25;
  f.study_ark = MintStudyArk(ArkOptions{}, "digits-fixture");
  s.ark = f.study_ark;
  nlohmann::json context = {{"format", 1}, {"cairn_version", "0.1.0"}, {"workdir", "/work"},
                            {"code", {{"is_repo", true}, {"commit", std::string(40, 'a')}, {"branch", "main"},
                                      {"remote_url", "https://example.org/digits.git"}, {"dirty", true},
                                      {"diff_sha256", std::string(64, 'e')}, {"diff_blob", f.diff.hash},
                                      {"untracked", nlohmann::json::array()}, {"root", "/work"}}},
                            {"host", f.host.hash}};
  s.attrs = {{"context", context}, {"license", "CC-BY-4.0"}};
  auto id = store.CreateStudy(s);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  s.id = *id;
  // Stores that do not keep study attrs yet: the context goes where record
  // format 1 put it, spec_json["context"].
  f.study_attrs_kept = store.GetStudy(f.study)->attrs == s.attrs;
  if (!f.study_attrs_kept) {
    s.spec_json["context"] = context;
    EXPECT_TRUE(store.UpdateStudy(s).ok());
  }

  struct T {
    TrialState state;
    double value;
    Params params;
    std::string reason;
  };
  double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<T> trials = {
      {TrialState::kCompleted, 0.91, {{"lr", 0.01}, {"width", int64_t{64}}, {"opt", std::string("adam")}, {"wide", true}}, "exit 0"},
      {TrialState::kStopped, 0.42, {{"lr", 0.2}, {"width", int64_t{16}}, {"opt", std::string("sgd")}, {"wide", false}}, "median: below the median at step 2"},
      {TrialState::kFailed, nan, {{"lr", 0.3}, {"width", int64_t{256}}, {"opt", std::string("sgd")}, {"wide", false}}, "objective acc reported nan at step 2"},
      {TrialState::kCompleted, 0.88, {{"lr", 0.3}, {"width", int64_t{256}}, {"opt", std::string("sgd")}, {"wide", false}}, "exit 0"},
  };
  for (int n = 0; n < static_cast<int>(trials.size()); ++n) {
    TrialRecord t;
    t.study_id = s.id;
    t.number = n;
    t.state = trials[n].state;
    t.params = trials[n].params;
    t.value = trials[n].value;
    t.steps = 3;
    t.created_at = 1700000010.0 + n;
    t.started_at = t.created_at + 0.5;
    t.ended_at = t.created_at + 30.125;
    t.end_reason = trials[n].reason;
    if (t.state == TrialState::kCompleted) t.exit_code = 0;
    if (t.state == TrialState::kStopped) t.signal = 15;
    t.ark = TrialArk(f.study_ark, n);
    t.owner = "gpu7:123:1700000000";
    t.heartbeat_at = t.ended_at;
    std::string dir = "/work/.cairn/trials/digits/" + std::to_string(n);
    t.attrs = {{"argv", {"/usr/bin/python3", "train.py", "--lr", ParamValueToString(t.params["lr"])}},
               {"seed", 100 + n}, {"gpus", {"0"}}, {"trial_dir", dir},
               {"exit", {{"kind", "exited"}, {"message", t.end_reason}}},
               {"context", FixtureTrialContext(f, n)},
               {"artifacts", {{{"path", "model.pt"}, {"size", 1234}, {"sha256", std::string(64, '1' + n)}, {"log", false}},
                              {{"path", "stdout.log"}, {"size", 99}, {"sha256", std::string(64, 'f')}, {"log", true}}}}};
    if (t.state == TrialState::kStopped) {
      t.attrs["decision"] = {{"rule", "median"}, {"reason", "below the median at step 2"}};
    }
    if (n == 3) t.attrs["retry_of"] = 2;
    auto tid = store.CreateTrial(t);
    EXPECT_TRUE(tid.ok()) << tid.status().ToString();
    std::vector<MetricPoint> points;
    for (int step = 1; step <= 3; ++step) {
      double acc = (n == 2 && step == 3) ? nan : trials[n].value * step / 3.0;
      points.push_back({*tid, "acc", step, acc, *t.started_at + 10.0 * step});
      points.push_back({*tid, "loss", step, step == 3 && n == 2 ? std::numeric_limits<double>::infinity() : 1.0 / step,
                        *t.started_at + 10.0 * step});
      points.push_back({*tid, "sys/cpu_percent", step, 97.5, *t.started_at + 10.0 * step + 0.5});
    }
    EXPECT_TRUE(store.AppendMetrics(points).ok());
  }
  return f;
}

}  // namespace cairn::testing
