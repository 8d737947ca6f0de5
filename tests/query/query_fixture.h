// A small store for the query tests: two studies whose trials carry the
// attrs layout the coordinator writes (context with blobs, metrics summary,
// gpus, seed, artifacts).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cairn/store.h"
#include "support/paths.h"

namespace cairn::testing {

// Seconds since the epoch of 2026-11-01T00:00:00Z.
constexpr double kNov1 = 1793491200.0;

inline nlohmann::json SoftwareBlob(const std::string& torch) {
  return {{"python", {{"executable", "/usr/bin/python3"}, {"version", "3.11.2"},
                      {"packages", {{"torch", torch}, {"numpy", "1.24.2"}, {"scikit_learn", "1.2.1"}}}}},
          {"conda", nullptr},
          {"debian", {{"libc6", "2.36-9"}}}};
}

inline nlohmann::json HostBlob(const std::string& name) {
  return {{"hostname", name}, {"cpu_model", "Fake CPU"}, {"cpu_cores", 16}, {"memory_total_bytes", 1 << 30},
          {"os", "Debian 12"}, {"kernel", "6.1"}, {"arch", "x86_64"}};
}

inline nlohmann::json Gpu(const std::string& name, const std::string& uuid) {
  return {{"id", "0"}, {"index", 0}, {"name", name}, {"uuid", uuid}, {"memory_total_bytes", 85899345920}};
}

// Trial attrs in the coordinator's layout.
inline nlohmann::json TrialAttrs(const std::string& software, const std::string& host, nlohmann::json gpus,
                                 const std::string& dataset_hash, double val_acc, int seed) {
  nlohmann::json ids = nlohmann::json::array();
  for (size_t i = 0; i < gpus.size(); ++i) ids.push_back(i);
  return {{"argv", {"python3", "train.py"}},
          {"seed", seed},
          {"gpus", ids},
          {"context", {{"format", 1}, {"argv", {"python3", "train.py"}},
                       {"env", {{"PATH", "/usr/bin"}, {"OMP_NUM_THREADS", seed % 2 ? "4" : "8"}, {"_", seed % 2 ? "/usr/bin/env" : "/bin/sh"}}},
                       {"software", software}, {"container", nullptr}, {"gpus", gpus},
                       {"datasets", {{{"path", "/data/digits"}, {"kind", "directory"}, {"sha256", dataset_hash}}}},
                       {"program_files", {{{"path", "train.py"}, {"bytes", 100}, {"sha256", "code-" + software}}}},
                       {"host", host}}},
          {"artifacts", {{{"path", "model.pt"}, {"size", 4000 + seed}, {"sha256", "x"}, {"log", false}},
                         {{"path", "stdout.log"}, {"size", 90000}, {"sha256", "y"}, {"log", true}}}},
          {"metrics", {{"val_acc", {{"steps", 10}, {"last", val_acc}, {"best", val_acc + 0.01},
                                    {"min", 0.1}, {"max", val_acc + 0.01}}},
                       {"loss", {{"steps", 10}, {"last", 1 - val_acc}, {"min", 1 - val_acc}, {"max", 2.0}}}}}};
}

// Fills `store`:
//  digits (maximize val_acc), 4 trials:
//   0 completed lr=0.001 adam  val_acc 0.95  A100  torch 2.1.0  host a  data h1
//   1 completed lr=0.1   sgd   val_acc 0.80  H100  torch 1.13.1 host b  data h2
//   2 stopped   lr=0.005 rmsprop val_acc 0.50 A100 torch 2.1.0 host a data h1
//   3 failed    lr=0.02  adam  no value, no metrics summary (points in the store), no context
//  mnist (minimize loss), 1 completed trial: lr=0.003 adam, value 0.2, no GPU.
inline void FillQueryStore(Store& store) {
  ASSERT_TRUE(store.PutBlob("sw2", "software_env", SoftwareBlob("2.1.0")).ok());
  ASSERT_TRUE(store.PutBlob("sw1", "software_env", SoftwareBlob("1.13.1")).ok());
  ASSERT_TRUE(store.PutBlob("hostA", "host", HostBlob("node-a")).ok());
  ASSERT_TRUE(store.PutBlob("hostB", "host", HostBlob("node-b")).ok());
  StudyRecord digits{.name = "digits", .objective = "val_acc", .direction = Direction::kMaximize,
                     .created_at = kNov1 - 86400, .ark = "ark:/99999/fk4digits"};
  digits.attrs = {{"context", {{"code", {{"is_repo", true}, {"commit", "abc123"}, {"branch", "main"},
                                          {"dirty", false}}}}}};
  // The store keeps spec_json; attrs is where newer coordinators put it.
  digits.spec_json = {{"budget", {{"max_steps", 20}}}, {"context", digits.attrs["context"]}};
  auto digits_id = store.CreateStudy(digits);
  ASSERT_TRUE(digits_id.ok()) << digits_id.status().ToString();
  nlohmann::json a100 = {Gpu("NVIDIA A100-SXM4-80GB", "GPU-aaa")};
  nlohmann::json h100 = {Gpu("NVIDIA H100 80GB HBM3", "GPU-hhh")};
  struct Row {
    TrialState state;
    double lr;
    std::string opt;
    std::optional<double> value;
    nlohmann::json attrs;
    double start;
  };
  std::vector<Row> rows = {
      {TrialState::kCompleted, 0.001, "adam", 0.95, TrialAttrs("sw2", "hostA", a100, "h1", 0.95, 1), kNov1 + 3600},
      {TrialState::kCompleted, 0.1, "sgd", 0.80, TrialAttrs("sw1", "hostB", h100, "h2", 0.80, 2), kNov1 + 7200},
      {TrialState::kStopped, 0.005, "rmsprop", 0.50, TrialAttrs("sw2", "hostA", a100, "h1", 0.50, 3), kNov1 - 7200},
      {TrialState::kFailed, 0.02, "adam", std::nullopt, nlohmann::json::object(), kNov1 + 10000},
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    TrialRecord t{.study_id = *digits_id, .number = static_cast<int>(i), .state = rows[i].state};
    t.params = {{"lr", rows[i].lr}, {"optimizer", rows[i].opt}, {"layers", int64_t(2 + i)}};
    t.value = rows[i].value;
    t.steps = rows[i].state == TrialState::kStopped ? 5 : 10;
    t.created_at = rows[i].start - 60;
    t.started_at = rows[i].start;
    t.ended_at = rows[i].start + (rows[i].state == TrialState::kStopped ? 500 : 1000);
    t.end_reason = rows[i].state == TrialState::kStopped ? "median rule: below median" : "exit 0";
    t.exit_code = rows[i].state == TrialState::kFailed ? 1 : 0;
    t.attrs = rows[i].attrs;
    t.ark = "ark:/99999/fk4digits/t" + std::to_string(i);
    auto id = store.CreateTrial(t);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    if (rows[i].state == TrialState::kFailed) {
      std::vector<MetricPoint> pts;
      for (int s = 0; s < 3; ++s) pts.push_back({*id, "val_acc", s, 0.1 * (s + 1), rows[i].start + 100.0 * (s + 1)});
      ASSERT_TRUE(store.AppendMetrics(pts).ok());
    }
  }
  StudyRecord mnist{.name = "mnist", .objective = "loss", .direction = Direction::kMinimize, .created_at = kNov1};
  auto mnist_id = store.CreateStudy(mnist);
  ASSERT_TRUE(mnist_id.ok());
  TrialRecord t{.study_id = *mnist_id, .number = 0, .state = TrialState::kCompleted};
  t.params = {{"lr", 0.003}, {"optimizer", std::string("adam")}};
  t.value = 0.2;
  t.steps = 10;
  t.created_at = kNov1 + 86400;
  t.started_at = kNov1 + 86400;
  t.ended_at = kNov1 + 86400 + 1800;
  t.attrs = {{"metrics", {{"loss", {{"steps", 10}, {"last", 0.2}, {"min", 0.2}, {"max", 3.0}}},
                          {"n_params", {{"steps", 1}, {"last", 123456}, {"min", 123456}, {"max", 123456}}}}}};
  ASSERT_TRUE(store.CreateTrial(t).ok());
}

// A fresh SQLite store in a temp folder, filled by FillQueryStore.
class QueryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("cairn-query");
    auto store = OpenStore("sqlite://" + (dir_ / "q.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_NO_FATAL_FAILURE(FillQueryStore(*store_));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace cairn::testing
