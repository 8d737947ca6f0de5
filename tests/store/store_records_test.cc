// Studies, trials and blobs round-trip through both back ends.
#include <atomic>
#include <cmath>
#include <limits>
#include <algorithm>
#include <set>
#include <thread>

#include "store/store_fixture.h"

namespace cairn::testing {
namespace {

class StoreRecordsTest : public StoreBackendTest {};
CAIRN_INSTANTIATE_BACKENDS(StoreRecordsTest);

StudyRecord MakeStudy(const std::string& name) {
  return StudyRecord{.name = name,
                     .objective = "val_acc",
                     .direction = Direction::kMaximize,
                     .spec_yaml = "name: " + name + "\ncommand: python train.py --lr {lr}\n",
                     .spec_json = {{"name", name}, {"budget", {{"trials", 50}}}},
                     .created_at = 1718000000.123456,
                     .ark = "ark:/99999/" + name,
                     .attrs = {{"context", {{"code", {{"commit", "abc123"}, {"dirty", false}}}}}}};
}

void ExpectSameStudy(const StudyRecord& a, const StudyRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.objective, b.objective);
  EXPECT_EQ(a.direction, b.direction);
  EXPECT_EQ(a.spec_yaml, b.spec_yaml);
  EXPECT_EQ(a.spec_json, b.spec_json);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.ark, b.ark);
  EXPECT_EQ(a.attrs, b.attrs);
}

// Every field set, every parameter type.
TrialRecord FullTrial(int64_t study_id, int number) {
  TrialRecord t;
  t.study_id = study_id;
  t.number = number;
  t.state = TrialState::kStopped;
  t.params = {{"lr", 0.0012345678901234567},
              {"layers", int64_t{9007199254740993}},  // not exact as a double
              {"optimizer", std::string("adam \"w\" ünïcode")},
              {"nesterov", true},
              {"whole_double", 3.0}};
  t.value = 0.9375;
  t.steps = 42;
  t.created_at = 1718000001.5;
  t.started_at = 1718000002.25;
  t.ended_at = 1718000099.125;
  t.end_reason = "median rule: below median at step 42";
  t.exit_code = -15;
  t.signal = 15;
  t.attrs = {{"decision", {{"rule", "median"}, {"predicted", 0.81}, {"lower", 0.7}}},
             {"argv", {"python", "train.py", "--lr", "0.0012"}},
             {"host", "node7"}};
  t.ark = "ark:/99999/t1";
  t.owner = "node7:4242:1718000000";
  t.heartbeat_at = 1718000098.0;
  return t;
}

void ExpectSameTrial(const TrialRecord& a, const TrialRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.study_id, b.study_id);
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.params, b.params);
  ASSERT_EQ(a.value.has_value(), b.value.has_value());
  if (a.value && std::isnan(*a.value)) {
    EXPECT_TRUE(std::isnan(*b.value));
  } else {
    EXPECT_EQ(a.value, b.value);
  }
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.ended_at, b.ended_at);
  EXPECT_EQ(a.end_reason, b.end_reason);
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.signal, b.signal);
  EXPECT_EQ(a.attrs, b.attrs);
  EXPECT_EQ(a.ark, b.ark);
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(a.heartbeat_at, b.heartbeat_at);
}

TEST_P(StoreRecordsTest, StudiesRoundTrip) {
  auto store = Open();
  ASSERT_TRUE(store);
  StudyRecord a = MakeStudy("digits");
  StudyRecord b = MakeStudy("cifar");
  b.direction = Direction::kMinimize;
  b.ark.clear();
  auto ida = store->CreateStudy(a);
  auto idb = store->CreateStudy(b);
  ASSERT_TRUE(ida.ok()) << ida.status().ToString();
  ASSERT_TRUE(idb.ok()) << idb.status().ToString();
  EXPECT_NE(*ida, *idb);
  a.id = *ida;
  b.id = *idb;

  auto by_name = store->GetStudy("cifar");
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  ExpectSameStudy(*by_name, b);
  auto by_id = store->GetStudyById(a.id);
  ASSERT_TRUE(by_id.ok());
  ExpectSameStudy(*by_id, a);

  auto all = store->ListStudies();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "digits");  // creation order
  EXPECT_EQ((*all)[1].name, "cifar");
}

TEST_P(StoreRecordsTest, StudyErrors) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateStudy(MakeStudy("digits")).ok());
  auto dup = store->CreateStudy(MakeStudy("digits"));
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("digits"), std::string::npos);
  EXPECT_EQ(store->GetStudy("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetStudyById(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->CreateStudy(MakeStudy("")).status().code(), StatusCode::kInvalidArgument);
}

// Atomically keeps every write or none, also the writes of calls that open
// their own transaction (a budget trial, metrics).
TEST_P(StoreRecordsTest, AtomicallyKeepsAllOrNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto write_study = [&](const std::string& name, bool fail) {
    return store->Atomically([&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(int64_t id, store->CreateStudy(MakeStudy(name)));
      TrialRecord t{.study_id = id, .number = 0, .state = TrialState::kCompleted};
      CAIRN_ASSIGN_OR_RETURN(int64_t trial, store->CreateBudgetTrial(t, 5));
      std::vector<MetricPoint> points = {{trial, "acc", 1, 0.5, 1.0}, {trial, "acc", 2, 0.6, 2.0}};
      CAIRN_TRY(store->AppendMetrics(points));
      if (fail) return Internal("cut short");
      return Status::Ok();
    });
  };
  Status failed = write_study("half", /*fail=*/true);
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_EQ(store->GetStudy("half").status().code(), StatusCode::kNotFound) << "nothing of it is kept";
  // The metric key "acc" the rolled-back writes created is gone too: a
  // cached id of it would file the points below under a key that is not.

  ASSERT_TRUE(write_study("whole", /*fail=*/false).ok());
  auto whole = store->GetStudy("whole");
  ASSERT_TRUE(whole.ok());
  auto trials = store->ListTrials(whole->id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 1u);
  // Read by another process (its own key cache): the points are filed under
  // a key that exists.
  auto other = Open();
  ASSERT_TRUE(other);
  auto points = other->ReadMetrics({(*trials)[0].id, std::string("acc")});
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 2u);
  // Writes outside go on as before.
  EXPECT_TRUE(store->CreateStudy(MakeStudy("after")).ok());
}

TEST_P(StoreRecordsTest, UpdateStudy) {
  auto store = Open();
  ASSERT_TRUE(store);
  StudyRecord s = MakeStudy("digits");
  s.id = *store->CreateStudy(s);
  s.ark = "ark:/99999/new";
  s.spec_json["budget"]["trials"] = 80;
  s.attrs["context"]["code"]["dirty"] = true;
  ASSERT_TRUE(store->UpdateStudy(s).ok());
  ExpectSameStudy(*store->GetStudyById(s.id), s);
  s.id = 12345;
  EXPECT_EQ(store->UpdateStudy(s).code(), StatusCode::kNotFound);
}

TEST_P(StoreRecordsTest, TrialWithEveryFieldRoundTrips) {
  auto store = Open();
  ASSERT_TRUE(store);
  int64_t study = *store->CreateStudy(MakeStudy("digits"));
  TrialRecord t = FullTrial(study, 0);
  auto id = store->CreateTrial(t);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  t.id = *id;
  auto got = store->GetTrial(t.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSameTrial(*got, t);
  // The integer parameter kept all 64 bits and its type.
  EXPECT_EQ(std::get<int64_t>(got->params.at("layers")), 9007199254740993);
  EXPECT_TRUE(std::holds_alternative<double>(got->params.at("whole_double")));
  auto by_number = store->GetTrialByNumber(study, 0);
  ASSERT_TRUE(by_number.ok());
  ExpectSameTrial(*by_number, t);
}

TEST_P(StoreRecordsTest, AMissingTrialNumberIsNamedWithItsStudy) {
  auto store = Open();
  ASSERT_TRUE(store);
  StudyRecord study = MakeStudy("digits");
  study.id = *store->CreateStudy(study);
  auto none = TrialOfStudy(*store, study, 4);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(none.status().message(), "study 'digits' has no trial 4: it has no trials yet");
  for (int n : {0, 1, 2}) ASSERT_TRUE(store->CreateTrial({.study_id = study.id, .number = n}).ok());
  auto missing = TrialOfStudy(*store, study, 99);
  EXPECT_EQ(missing.status().message(), "study 'digits' has no trial 99: its 3 trials are numbered 0 to 2");
  auto found = TrialOfStudy(*store, study, 1);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->number, 1);
}

TEST_P(StoreRecordsTest, TrialWithOptionalFieldsAbsent) {
  auto store = Open();
  ASSERT_TRUE(store);
  int64_t study = *store->CreateStudy(MakeStudy("digits"));
  TrialRecord t{.study_id = study, .number = 3, .created_at = 10.0};
  t.id = *store->CreateTrial(t);
  auto got = store->GetTrial(t.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSameTrial(*got, t);
  EXPECT_FALSE(got->value.has_value());
  EXPECT_FALSE(got->exit_code.has_value());
  EXPECT_FALSE(got->heartbeat_at.has_value());
  EXPECT_TRUE(got->params.empty());
  EXPECT_EQ(got->attrs, nlohmann::json::object());
}

TEST_P(StoreRecordsTest, TrialValueNanAndInfinityRoundTrip) {
  auto store = Open();
  ASSERT_TRUE(store);
  int64_t study = *store->CreateStudy(MakeStudy("digits"));
  const double values[] = {std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), 5e-324, -1.5e300};
  int number = 0;
  for (double v : values) {
    TrialRecord t{.study_id = study, .number = number++, .state = TrialState::kFailed, .value = v};
    t.id = *store->CreateTrial(t);
    auto got = store->GetTrial(t.id);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->value.has_value()) << "value " << v;
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(*got->value));
    } else {
      EXPECT_EQ(*got->value, v);
    }
  }
}

TEST_P(StoreRecordsTest, UpdateTrialAndList) {
  auto store = Open();
  ASSERT_TRUE(store);
  int64_t study = *store->CreateStudy(MakeStudy("digits"));
  int64_t other = *store->CreateStudy(MakeStudy("other"));
  for (int n : {2, 0, 1}) {
    ASSERT_TRUE(store->CreateTrial({.study_id = study, .number = n, .created_at = 1.0 * n}).ok());
  }
  ASSERT_TRUE(store->CreateTrial({.study_id = other, .number = 0}).ok());

  TrialRecord t = *store->GetTrialByNumber(study, 1);
  TrialRecord full = FullTrial(study, 1);
  full.id = t.id;
  ASSERT_TRUE(store->UpdateTrial(full).ok());
  ExpectSameTrial(*store->GetTrial(t.id), full);

  // Clearing optional fields writes NULLs.
  full.value.reset();
  full.exit_code.reset();
  full.heartbeat_at.reset();
  full.state = TrialState::kLost;
  ASSERT_TRUE(store->UpdateTrial(full).ok());
  ExpectSameTrial(*store->GetTrial(t.id), full);

  auto list = store->ListTrials(study);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  for (int n = 0; n < 3; ++n) EXPECT_EQ((*list)[n].number, n);
  EXPECT_EQ((*list)[1].state, TrialState::kLost);

  TrialRecord ghost = full;
  ghost.id = 999999;
  EXPECT_EQ(store->UpdateTrial(ghost).code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetTrial(999999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetTrialByNumber(study, 7).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreRecordsTest, TrialNumbersAreUniquePerStudy) {
  auto store = Open();
  ASSERT_TRUE(store);
  int64_t a = *store->CreateStudy(MakeStudy("a"));
  int64_t b = *store->CreateStudy(MakeStudy("b"));
  ASSERT_TRUE(store->CreateTrial({.study_id = a, .number = 0}).ok());
  auto dup = store->CreateTrial({.study_id = a, .number = 0});
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists) << dup.status().ToString();
  EXPECT_TRUE(store->CreateTrial({.study_id = b, .number = 0}).ok());
  EXPECT_EQ(store->CreateTrial({.study_id = 4242, .number = 0}).status().code(),
            StatusCode::kNotFound);
}

// Two coordinators (two Store objects, two threads) race for trial numbers;
// each loser moves on to the next number. No number is taken twice and none
// is skipped.
TEST_P(StoreRecordsTest, RacingCoordinatorsNeverShareANumber) {
  auto setup = Open();
  ASSERT_TRUE(setup);
  int64_t study = *setup->CreateStudy(MakeStudy("shared"));
  constexpr int kPerWorker = 15;
  std::vector<int> created[2];
  std::string errors[2];
  auto worker = [&](int w) {
    auto store = OpenStore(url_);
    if (!store.ok()) {
      errors[w] = store.status().ToString();
      return;
    }
    int number = 0;
    while (static_cast<int>(created[w].size()) < kPerWorker) {
      auto id = (*store)->CreateTrial({.study_id = study, .number = number, .owner = std::to_string(w)});
      if (id.ok()) {
        created[w].push_back(number);
      } else if (id.status().code() != StatusCode::kAlreadyExists) {
        errors[w] = id.status().ToString();
        return;
      }
      ++number;
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  std::set<int> all(created[0].begin(), created[0].end());
  all.insert(created[1].begin(), created[1].end());
  EXPECT_EQ(all.size(), 2u * kPerWorker);
  EXPECT_EQ(*all.rbegin(), 2 * kPerWorker - 1);
  auto trials = setup->ListTrials(study);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 2u * kPerWorker);
  for (const TrialRecord& t : *trials) {
    const auto& mine = created[t.owner == "0" ? 0 : 1];
    EXPECT_NE(std::find(mine.begin(), mine.end(), t.number), mine.end()) << t.number;
  }
}

TEST_P(StoreRecordsTest, BudgetTrialsStopAtTheBudgetAndRerunsDoNotCount) {
  auto store = Open();
  ASSERT_TRUE(store);
  int64_t study = *store->CreateStudy(MakeStudy("budget"));
  ASSERT_TRUE(store->CreateBudgetTrial({.study_id = study, .number = 0}, 2).ok());
  // A plain CreateTrial of a budget trial (an import) counts too.
  ASSERT_TRUE(store->CreateTrial({.study_id = study, .number = 1}).ok());
  auto over = store->CreateBudgetTrial({.study_id = study, .number = 2}, 2);
  EXPECT_EQ(over.status().code(), StatusCode::kFailedPrecondition) << over.status().ToString();
  EXPECT_NE(over.status().message().find("budget of 2"), std::string::npos) << over.status().message();
  // Re-runs and retries repeat a trial: they never use the budget up.
  TrialRecord rerun{.study_id = study, .number = 2};
  rerun.attrs["rerun_of"] = 0;
  ASSERT_TRUE(store->CreateTrial(rerun).ok());
  TrialRecord retry{.study_id = study, .number = 3};
  retry.attrs["retry_of"] = 1;
  ASSERT_TRUE(store->CreateTrial(retry).ok());
  EXPECT_EQ(store->CreateBudgetTrial(rerun, 5).status().code(), StatusCode::kInvalidArgument);
  // A larger budget (`--trials` raised on resume) leaves room again.
  EXPECT_TRUE(store->CreateBudgetTrial({.study_id = study, .number = 4}, 3).ok());
  EXPECT_EQ(store->CreateBudgetTrial({.study_id = study, .number = 5}, 3).status().code(),
            StatusCode::kFailedPrecondition);
  // A number taken leaves the count as it was.
  EXPECT_EQ(store->CreateBudgetTrial({.study_id = study, .number = 0}, 9).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(store->CreateBudgetTrial({.study_id = study, .number = 5}, 4).ok());
  EXPECT_EQ(store->CreateBudgetTrial({.study_id = 4242, .number = 0}, 9).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->ListTrials(study)->size(), 6u);
}

// Coordinators sharing a study claim its budget at once, each through its
// own connection: exactly `budget` trials are created, never one more.
TEST_P(StoreRecordsTest, RacingBudgetClaimsNeverExceedTheBudget) {
  auto setup = Open();
  ASSERT_TRUE(setup);
  int64_t study = *setup->CreateStudy(MakeStudy("claims"));
  constexpr int kWorkers = 4, kBudget = 30;
  std::vector<int> claimed(kWorkers, 0);
  std::vector<std::string> errors(kWorkers);
  std::atomic<int> next_number{0};
  auto worker = [&](int w) {
    auto store = OpenStore(url_);
    if (!store.ok()) {
      errors[w] = store.status().ToString();
      return;
    }
    for (;;) {
      auto id = (*store)->CreateBudgetTrial({.study_id = study, .number = next_number++}, kBudget);
      if (id.ok()) {
        ++claimed[w];
      } else if (id.status().code() == StatusCode::kFailedPrecondition) {
        return;  // the budget is used up
      } else {
        errors[w] = id.status().ToString();
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) threads.emplace_back(worker, w);
  for (auto& t : threads) t.join();
  int total = 0;
  for (int w = 0; w < kWorkers; ++w) {
    EXPECT_EQ(errors[w], "") << "worker " << w;
    total += claimed[w];
  }
  EXPECT_EQ(total, kBudget);
  EXPECT_EQ(setup->ListTrials(study)->size(), static_cast<size_t>(kBudget));
}

TEST_P(StoreRecordsTest, TwoStoresSeeEachOthersWrites) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  int64_t study = *a->CreateStudy(MakeStudy("shared"));
  int64_t trial = *a->CreateTrial({.study_id = study, .number = 0});
  auto seen = b->GetTrial(trial);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  seen->state = TrialState::kRunning;
  seen->owner = "b";
  ASSERT_TRUE(b->UpdateTrial(*seen).ok());
  EXPECT_EQ(a->GetTrial(trial)->owner, "b");
  EXPECT_EQ(a->GetTrial(trial)->state, TrialState::kRunning);
  EXPECT_EQ(b->GetStudy("shared")->id, study);
}

TEST_P(StoreRecordsTest, BlobsAreStoredOnceByHash) {
  auto store = Open();
  ASSERT_TRUE(store);
  nlohmann::json env = {{"python", "3.11.2"}, {"packages", {"torch==2.1", "numpy==1.26"}}};
  ASSERT_TRUE(store->PutBlob("abc123", "packages", env).ok());
  ASSERT_TRUE(store->PutBlob("abc123", "packages", env).ok());  // idempotent
  auto got = store->GetBlob("abc123");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, env);
  EXPECT_EQ(store->GetBlob("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->PutBlob("", "env", env).code(), StatusCode::kInvalidArgument);
  // Visible to another Store on the same database.
  auto other = Open();
  ASSERT_TRUE(other);
  EXPECT_EQ(*other->GetBlob("abc123"), env);
}

}  // namespace
}  // namespace cairn::testing
