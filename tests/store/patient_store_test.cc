// PatientStore: a store that stops answering for a while (SQLite locked by
// another program past its busy timeout, a PostgreSQL connection dropped)
// stalls its caller instead of failing it.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "cairn/store.h"
#include "cairn/store/sql_store.h"
#include "cairn/store/sqlite_connection.h"
#include "store/store_fixture.h"

namespace cairn::testing {
namespace {

class PatientStoreTest : public StoreBackendTest {
 protected:
  // A study and one running trial, written through a plain store.
  TrialRecord SeedTrial(Store& store) {
    StudyRecord study{.name = "s", .objective = "acc", .direction = Direction::kMaximize};
    auto study_id = store.CreateStudy(study);
    EXPECT_TRUE(study_id.ok()) << study_id.status().ToString();
    TrialRecord trial;
    trial.study_id = study_id.ok() ? *study_id : 0;
    trial.number = 0;
    trial.state = TrialState::kRunning;
    trial.owner = "host:1";
    trial.created_at = 1718000000.25;
    auto id = store.CreateTrial(trial);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    trial.id = id.ok() ? *id : 0;
    return trial;
  }

  // A SQLite store on this test's file whose writes give up on a lock after
  // 20 ms (the real default is 10 s; the behaviour is the same).
  std::unique_ptr<Store> ImpatientSqlite() {
    store::SqliteOptions options;
    options.busy_timeout_ms = 20;
    auto conn = store::SqliteConnection::Open(url_.substr(9), options);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return nullptr;
    auto s = store::SqlStore::Open(std::move(*conn), url_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // A trial in the store, and another program holding the write lock on it
  // (locker_) until the test releases it.
  TrialRecord SeedAndLock() {
    plain_ = Open();
    EXPECT_NE(plain_, nullptr);
    if (!plain_) return {};
    TrialRecord trial = SeedTrial(*plain_);
    locker_ = Raw();
    EXPECT_NE(locker_, nullptr);
    if (locker_) {
      EXPECT_TRUE(locker_->Begin().ok());
    }
    return trial;
  }

  std::unique_ptr<Store> plain_;
  std::unique_ptr<store::SqlConnection> locker_;
  std::vector<std::string> messages_;
  StorePatience Patience(double patience_s) {
    StorePatience p;
    p.patience_s = patience_s;
    p.first_pause_s = 0.02;
    p.max_pause_s = 0.1;
    p.on_message = [this](const std::string& m) { messages_.push_back(m); };
    return p;
  }
};
CAIRN_INSTANTIATE_BACKENDS(PatientStoreTest);

TEST_P(PatientStoreTest, WaitsOutAnotherProgramsWriteLock) {
  if (postgres()) GTEST_SKIP() << "SQLite's file lock";
  TrialRecord trial = SeedAndLock();
  ASSERT_NE(locker_, nullptr);

  auto impatient = ImpatientSqlite();
  ASSERT_NE(impatient, nullptr);
  trial.state = TrialState::kCompleted;
  trial.value = 0.5;
  // What a study met before: the write fails while the lock is held.
  Status plain_write = impatient->UpdateTrial(trial);
  EXPECT_EQ(plain_write.code(), StatusCode::kUnavailable) << plain_write.ToString();

  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(locker_->Commit().ok());
  });
  auto patient = PatientStore(std::move(impatient), Patience(60));
  Status write = patient->UpdateTrial(trial);
  release.join();
  ASSERT_TRUE(write.ok()) << write.ToString();
  auto back = plain_->GetTrial(trial.id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state, TrialState::kCompleted);
  ASSERT_EQ(messages_.size(), 2u);
  EXPECT_NE(messages_[0].find("does not answer"), std::string::npos) << messages_[0];
  EXPECT_NE(messages_[0].find("locked"), std::string::npos) << messages_[0];
  EXPECT_NE(messages_[1].find("answers again"), std::string::npos) << messages_[1];
}

// A caller held up by its store keeps other work going: the wait hook is
// called inside SQLite's own wait for the lock (10 s by default, no pause
// of the patience's) and in the patience's pauses.
TEST_P(PatientStoreTest, TheWaitHookRunsWhileTheStoreWaits) {
  if (postgres()) GTEST_SKIP() << "SQLite's file lock";
  TrialRecord trial = SeedAndLock();
  ASSERT_NE(locker_, nullptr);
  auto store = Open();  // the default busy wait: longer than the lock
  ASSERT_NE(store, nullptr);
  int hooked = 0;
  store->SetWaitHook([&] { ++hooked; });
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    ASSERT_TRUE(locker_->Commit().ok());
  });
  trial.state = TrialState::kCompleted;
  Status write = store->UpdateTrial(trial);
  release.join();
  ASSERT_TRUE(write.ok()) << write.ToString();
  EXPECT_GE(hooked, 1) << "about twice a second while SQLite waited";

  ASSERT_TRUE(locker_->Begin().ok());
  auto patient = PatientStore(ImpatientSqlite(), Patience(60));
  int paused = 0;
  patient->SetWaitHook([&] { ++paused; });
  std::thread release_again([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(locker_->Commit().ok());
  });
  trial.value = 0.5;
  write = patient->UpdateTrial(trial);
  release_again.join();
  ASSERT_TRUE(write.ok()) << write.ToString();
  EXPECT_GE(paused, 1) << "in the patience's pauses";
}

TEST_P(PatientStoreTest, GivesUpAfterItsPatienceAndSaysHowLongItWaited) {
  if (postgres()) GTEST_SKIP() << "SQLite's file lock";
  TrialRecord trial = SeedAndLock();  // never released
  ASSERT_NE(locker_, nullptr);

  SimulatedClock clock;
  StorePatience p = Patience(30);
  p.clock = &clock;
  std::vector<double> pauses;
  p.sleep = [&](double s) { pauses.push_back(s); clock.Advance(s); };
  p.max_pause_s = 5;
  auto patient = PatientStore(ImpatientSqlite(), p);
  Status write = patient->UpdateTrial(trial);
  EXPECT_EQ(write.code(), StatusCode::kUnavailable);
  EXPECT_NE(write.message().find("gave up after waiting"), std::string::npos) << write.ToString();
  EXPECT_NE(write.message().find("update trial"), std::string::npos) << write.ToString();
  // Pauses grow to their cap and never pass the patience.
  ASSERT_GE(pauses.size(), 3u);
  EXPECT_DOUBLE_EQ(pauses[0], 0.02);
  EXPECT_DOUBLE_EQ(pauses[1], 0.04);
  EXPECT_DOUBLE_EQ(pauses.back(), 5.0);
  EXPECT_LE(clock.Now(), 30.0);
  EXPECT_GT(clock.Now(), 25.0);
  ASSERT_EQ(messages_.size(), 2u);
  EXPECT_NE(messages_[1].find("gave up"), std::string::npos) << messages_[1];
  locker_->Rollback();
}

TEST_P(PatientStoreTest, CtrlCEndsTheWait) {
  if (postgres()) GTEST_SKIP() << "SQLite's file lock";
  TrialRecord trial = SeedAndLock();
  ASSERT_NE(locker_, nullptr);
  std::atomic<bool> cancel{true};
  StorePatience p = Patience(3600);
  p.cancel = &cancel;
  int sleeps = 0;
  p.sleep = [&](double) { ++sleeps; };
  auto patient = PatientStore(ImpatientSqlite(), p);
  Status write = patient->UpdateTrial(trial);
  EXPECT_EQ(write.code(), StatusCode::kCancelled) << write.ToString();
  EXPECT_NE(write.message().find("interrupted while waiting for the store to update trial"), std::string::npos)
      << write.ToString();
  EXPECT_EQ(sleeps, 0);
  ASSERT_EQ(messages_.size(), 2u);
  EXPECT_NE(messages_[1].find("stopped waiting (interrupted)"), std::string::npos) << messages_[1];
  locker_->Rollback();
}

TEST_P(PatientStoreTest, OtherErrorsAreNotRetried) {
  auto plain = Open();
  ASSERT_NE(plain, nullptr);
  int sleeps = 0;
  StorePatience p = Patience(60);
  p.sleep = [&](double) { ++sleeps; };
  auto patient = PatientStore(std::move(plain), p);
  EXPECT_EQ(patient->GetStudy("absent").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sleeps, 0);
  EXPECT_TRUE(messages_.empty());
}

// The server drops the store's connection (a restart, an idle timeout):
// the statement that meets the loss fails, the next one connects again, and
// behind PatientStore the caller does not notice at all.
TEST_P(PatientStoreTest, ConnectsAgainAfterTheServerDropsTheConnection) {
  if (!postgres()) GTEST_SKIP() << "a PostgreSQL connection";
  auto admin = Raw();  // not named: it must not drop itself
  ASSERT_NE(admin, nullptr);
  const std::string app = "cairn_patient_" + std::to_string(getpid());
  url_ += "&application_name=" + app;
  auto drop = [&] {
    store::SqlValue name[] = {app};
    auto killed = admin->Query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", name);
    ASSERT_TRUE(killed.ok()) << killed.status().ToString();
    ASSERT_EQ(killed->size(), 1u);
  };

  auto plain = Open();
  ASSERT_NE(plain, nullptr);
  TrialRecord trial = SeedTrial(*plain);
  drop();
  trial.state = TrialState::kCompleted;
  Status lost = plain->UpdateTrial(trial);
  EXPECT_EQ(lost.code(), StatusCode::kUnavailable) << lost.ToString();
  ASSERT_TRUE(plain->UpdateTrial(trial).ok());  // a new connection

  auto patient = PatientStore(std::move(plain), Patience(60));
  drop();
  trial.value = 0.75;
  Status write = patient->UpdateTrial(trial);
  ASSERT_TRUE(write.ok()) << write.ToString();
  auto back = patient->GetTrial(trial.id);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->value, 0.75);
  EXPECT_EQ(messages_.size(), 2u);
}

// Every call passed to `inner`; the test doubles below change one.
class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}
  Result<int64_t> CreateTrial(const TrialRecord& t) override { return inner_.CreateTrial(t); }
  Result<int64_t> CreateStudy(const StudyRecord& s) override { return inner_.CreateStudy(s); }
  Result<StudyRecord> GetStudy(const std::string& n) override { return inner_.GetStudy(n); }
  Result<StudyRecord> GetStudyById(int64_t id) override { return inner_.GetStudyById(id); }
  Result<std::vector<StudyRecord>> ListStudies() override { return inner_.ListStudies(); }
  Status UpdateStudy(const StudyRecord& s) override { return inner_.UpdateStudy(s); }
  Result<int64_t> CreateBudgetTrial(const TrialRecord& t, int b) override { return inner_.CreateBudgetTrial(t, b); }
  Status UpdateTrial(const TrialRecord& t) override { return inner_.UpdateTrial(t); }
  Result<TrialRecord> GetTrial(int64_t id) override { return inner_.GetTrial(id); }
  Result<TrialRecord> GetTrialByNumber(int64_t s, int n) override { return inner_.GetTrialByNumber(s, n); }
  Result<std::vector<TrialRecord>> ListTrials(int64_t s) override { return inner_.ListTrials(s); }
  Status AppendMetrics(std::span<const MetricPoint> p) override { return inner_.AppendMetrics(p); }
  Result<std::vector<MetricPoint>> ReadMetrics(const MetricQuery& q) override { return inner_.ReadMetrics(q); }
  Status PutBlob(const std::string& h, const std::string& k, const nlohmann::json& b) override {
    return inner_.PutBlob(h, k, b);
  }
  Result<nlohmann::json> GetBlob(const std::string& h) override { return inner_.GetBlob(h); }
  std::string Url() const override { return inner_.Url(); }
  Status Atomically(const std::function<Status()>& w) override { return inner_.Atomically(w); }

 protected:
  Store& inner_;
};

// A trial insert whose answer was lost although the row was written: the
// retry finds the number taken by that very row and returns it, rather
// than making the coordinator take the next number and leave a phantom.
class AnswerLostOnce final : public ForwardingStore {
 public:
  // written: whether the first insert reaches the database before its
  // answer is lost.
  AnswerLostOnce(Store& inner, bool written) : ForwardingStore(inner), written_(written) {}
  Result<int64_t> CreateTrial(const TrialRecord& trial) override {
    if (!lost_) {
      lost_ = true;
      if (written_) (void)inner_.CreateTrial(trial);
      return Unavailable("server closed the connection unexpectedly");
    }
    return inner_.CreateTrial(trial);
  }

 private:
  bool written_;
  bool lost_ = false;
};

// A first trial update that waits `busy_s` for a lock (SQLite's own busy
// wait) before it fails; the next one answers.
class BusyOnce final : public ForwardingStore {
 public:
  BusyOnce(Store& inner, SimulatedClock& clock, double busy_s) : ForwardingStore(inner), clock_(clock), busy_s_(busy_s) {}
  Status UpdateTrial(const TrialRecord& t) override {
    if (busy_) return inner_.UpdateTrial(t);
    busy_ = true;
    clock_.Advance(busy_s_);
    return Unavailable("database is locked");
  }

 private:
  SimulatedClock& clock_;
  double busy_s_;
  bool busy_ = false;
};

// The store's own wait before its first failure counts: the messages say
// how long it had already waited and time the answer from the first ask
// ("waiting up to 1 s" once followed a silent 10 s).
TEST_P(PatientStoreTest, TheMessagesCountTheStoresOwnWait) {
  auto plain = Open();
  ASSERT_NE(plain, nullptr);
  TrialRecord trial = SeedTrial(*plain);
  SimulatedClock clock;
  StorePatience p = Patience(1);
  p.clock = &clock;
  p.sleep = [&](double s) { clock.Advance(s); };
  auto patient = PatientStore(std::make_unique<BusyOnce>(*plain, clock, 10.0), p);
  ASSERT_TRUE(patient->UpdateTrial(trial).ok());
  ASSERT_EQ(messages_.size(), 2u);
  EXPECT_NE(messages_[0].find("does not answer (database is locked, after 10 s of its own wait); waiting up to 1 s "
                              "more"),
            std::string::npos)
      << messages_[0];
  EXPECT_NE(messages_[1].find("answers again after 10.0 s"), std::string::npos) << messages_[1];
}

TEST_P(PatientStoreTest, ATrialWrittenBeforeItsAnswerWasLostIsNotWrittenTwice) {
  auto plain = Open();
  ASSERT_NE(plain, nullptr);
  TrialRecord seeded = SeedTrial(*plain);
  StorePatience p = Patience(60);
  p.sleep = [](double) {};
  auto patient = PatientStore(std::make_unique<AnswerLostOnce>(*plain, /*written=*/true), p);
  TrialRecord next = seeded;
  next.id = 0;
  next.number = 1;
  next.created_at += 1;
  auto id = patient->CreateTrial(next);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto trials = plain->ListTrials(seeded.study_id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 2u);
  EXPECT_EQ((*trials)[1].id, *id);

  // Lost before it was written, and meanwhile another coordinator took the
  // number: still a clash, so the caller takes the next number.
  auto other_patient = PatientStore(std::make_unique<AnswerLostOnce>(*plain, /*written=*/false), p);
  TrialRecord other = next;
  other.owner = "elsewhere:2";
  EXPECT_EQ(other_patient->CreateTrial(other).status().code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace cairn::testing
