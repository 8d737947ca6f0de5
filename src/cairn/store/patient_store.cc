// PatientStore: a Store decorator that waits out a store that is briefly
// unavailable instead of ending the study that uses it (see store.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "cairn/store.h"

namespace cairn {

namespace {

class PatientStoreImpl final : public Store {
 public:
  PatientStoreImpl(std::unique_ptr<Store> inner, StorePatience p) : inner_(std::move(inner)), p_(std::move(p)) {
    if (!p_.clock) p_.clock = RealClock::Default();
    if (!p_.sleep) {
      p_.sleep = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };
    }
  }

  Result<int64_t> CreateStudy(const StudyRecord& study) override {
    return Retry("create study", [&] { return inner_->CreateStudy(study); });
  }
  Result<StudyRecord> GetStudy(const std::string& name) override {
    return Retry("read study", [&] { return inner_->GetStudy(name); });
  }
  Result<StudyRecord> GetStudyById(int64_t id) override {
    return Retry("read study", [&] { return inner_->GetStudyById(id); });
  }
  Result<std::vector<StudyRecord>> ListStudies() override {
    return Retry("list studies", [&] { return inner_->ListStudies(); });
  }
  Status UpdateStudy(const StudyRecord& study) override {
    return Retry("update study", [&] { return inner_->UpdateStudy(study); });
  }
  Result<int64_t> CreateTrial(const TrialRecord& trial) override {
    return CreateOnce(trial, [&] { return inner_->CreateTrial(trial); });
  }
  Result<int64_t> CreateBudgetTrial(const TrialRecord& trial, int budget) override {
    return CreateOnce(trial, [&] { return inner_->CreateBudgetTrial(trial, budget); });
  }
  Status UpdateTrial(const TrialRecord& trial) override {
    return Retry("update trial", [&] { return inner_->UpdateTrial(trial); });
  }
  Result<TrialRecord> GetTrial(int64_t trial_id) override {
    return Retry("read trial", [&] { return inner_->GetTrial(trial_id); });
  }
  Result<TrialRecord> GetTrialByNumber(int64_t study_id, int number) override {
    return Retry("read trial", [&] { return inner_->GetTrialByNumber(study_id, number); });
  }
  Result<std::vector<TrialRecord>> ListTrials(int64_t study_id) override {
    return Retry("list trials", [&] { return inner_->ListTrials(study_id); });
  }
  Status AppendMetrics(std::span<const MetricPoint> points) override {
    return Retry("write metrics", [&] { return inner_->AppendMetrics(points); });
  }
  Result<std::vector<MetricPoint>> ReadMetrics(const MetricQuery& q) override {
    return Retry("read metrics", [&] { return inner_->ReadMetrics(q); });
  }
  Status PutBlob(const std::string& hash, const std::string& kind, const nlohmann::json& body) override {
    return Retry("write blob", [&] { return inner_->PutBlob(hash, kind, body); });
  }
  Result<nlohmann::json> GetBlob(const std::string& hash) override {
    return Retry("read blob", [&] { return inner_->GetBlob(hash); });
  }
  std::string Url() const override { return inner_->Url(); }
  void SetWaitHook(std::function<void()> hook) override {
    wait_hook_ = hook;
    inner_->SetWaitHook(std::move(hook));
  }
  Status Atomically(const std::function<Status()>& writes) override {
    ++atomic_depth_;
    Status s = inner_->Atomically(writes);
    --atomic_depth_;
    return s;
  }

 private:
  static Status StatusOf(const Status& s) { return s; }
  template <typename T>
  static Status StatusOf(const Result<T>& r) { return r.status(); }

  // Calls `call` until it answers anything but kUnavailable, or patience
  // runs out.
  template <typename Call>
  auto Retry(std::string_view what, Call&& call) -> decltype(call()) {
    const double asked = p_.clock->Now();
    auto result = call();
    if (StatusOf(result).code() != StatusCode::kUnavailable || atomic_depth_ > 0) return result;
    const double start = p_.clock->Now();
    double pause = p_.first_pause_s;
    // The store's own wait (SQLite's busy timeout) came before this failure:
    // said, so "up to 1 s" does not follow a silent 10 s unexplained.
    const double own_wait = start - asked;
    Say(fmt::format("store {} does not answer ({}{}); waiting up to {:g} s more for it, running trials carry on",
                    inner_->Url(), StatusOf(result).message(),
                    own_wait >= 1 ? fmt::format(", after {:.0f} s of its own wait", own_wait) : "", p_.patience_s));
    for (;;) {
      double waited = p_.clock->Now() - start;
      if (Cancelled()) {
        Say(fmt::format("store {}: stopped waiting (interrupted)", inner_->Url()));
        return Status(StatusCode::kCancelled,
                      fmt::format("interrupted while waiting for the store to {} ({})", what,
                                  StatusOf(result).message()));
      }
      if (waited + pause > p_.patience_s) {
        Say(fmt::format("store {}: gave up after {:.0f} s", inner_->Url(), waited));
        return Status(StatusCode::kUnavailable,
                      fmt::format("{} (gave up after waiting {:.0f} s to {})", StatusOf(result).message(),
                                  waited, what));
      }
      if (wait_hook_) wait_hook_();
      p_.sleep(pause);
      pause = std::min(pause * 2, p_.max_pause_s);
      result = call();
      if (StatusOf(result).code() != StatusCode::kUnavailable) {
        Say(fmt::format("store {} answers again after {:.1f} s", inner_->Url(), p_.clock->Now() - asked));
        return result;
      }
    }
  }

  // A trial insert, retried; when a retry finds the number taken, the first
  // try may have written the row before its answer was lost.
  template <typename Call>
  Result<int64_t> CreateOnce(const TrialRecord& trial, Call&& call) {
    bool retried = false;
    auto id = Retry("create trial", [&]() -> Result<int64_t> {
      auto r = call();
      if (r.ok() || r.status().code() != StatusCode::kAlreadyExists || !retried) {
        retried = retried || r.status().code() == StatusCode::kUnavailable;
        return r;
      }
      auto existing = inner_->GetTrialByNumber(trial.study_id, trial.number);
      if (!existing.ok()) return existing.status().code() == StatusCode::kUnavailable ? existing.status() : r;
      if (existing->owner == trial.owner && existing->created_at == trial.created_at) return existing->id;
      return r;
    });
    return id;
  }

  bool Cancelled() const { return p_.cancel && p_.cancel->load(); }
  void Say(const std::string& message) const {
    if (p_.on_message) p_.on_message(message);
  }

  std::unique_ptr<Store> inner_;
  std::function<void()> wait_hook_;
  StorePatience p_;
  int atomic_depth_ = 0;
};

}  // namespace

std::unique_ptr<Store> PatientStore(std::unique_ptr<Store> store, StorePatience patience) {
  return std::make_unique<PatientStoreImpl>(std::move(store), std::move(patience));
}

}  // namespace cairn
