// The query language at 10,000 trials of 100 steps each (10 studies x 1000):
// parse + evaluate time per query over a built index, and the time to build
// that index from a SQLite store (in memory, so disk speed does not count).
#include <memory>

#include <benchmark/benchmark.h>

#include "cairn/query.h"
#include "cairn/query/synthetic.h"

namespace {

constexpr cairn::query::SyntheticOptions kOptions{.studies = 10, .trials_per_study = 1000, .steps = 100, .seed = 7};

const cairn::TrialIndex& Index() {
  static auto* index = new cairn::TrialIndex(*cairn::query::BuildSyntheticIndex(kOptions));
  return *index;
}

const char* const kQueries[] = {
    "state = \"completed\"",
    "study = \"study4\" AND (params.lr < 0.01 OR params.optimizer IN (\"adam\", \"sgd\")) AND "
    "metrics.acc > 0.6 AND gpu.name ~ \"A100\"",
    "env.torch ~ \"^2\\.\" AND host.hostname = \"node1\" AND dataset.set = \"d1\"",
    "created > \"2023-11-15\" AND NOT metrics.loss.min < 0.3",
};

void BM_QueryParseEvaluate(benchmark::State& state) {
  const auto& index = Index();
  const char* expr = kQueries[state.range(0)];
  cairn::QueryOptions options{.sort = state.range(0) == 0 ? "-value" : "", .limit = 20};
  int matched = 0;
  for (auto _ : state) {
    auto r = cairn::RunQuery(index, expr, options);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    matched = r->matched;
    benchmark::DoNotOptimize(r->trials.data());
  }
  state.counters["trials"] = static_cast<double>(index.trials().size());
  state.counters["matched"] = matched;
  state.SetLabel(expr);
}
BENCHMARK(BM_QueryParseEvaluate)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

void BM_IndexBuildFromStore(benchmark::State& state) {
  static std::unique_ptr<cairn::Store> store = [] {
    auto s = cairn::OpenStore("sqlite://:memory:");
    if (!s.ok() || !cairn::query::FillSyntheticStore(**s, kOptions).ok()) return std::unique_ptr<cairn::Store>();
    return std::move(*s);
  }();
  if (!store) {
    state.SkipWithError("could not fill the in-memory store");
    return;
  }
  for (auto _ : state) {
    auto index = cairn::TrialIndex::Build(*store);
    if (!index.ok()) {
      state.SkipWithError(index.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(index->trials().data());
  }
}
BENCHMARK(BM_IndexBuildFromStore)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
