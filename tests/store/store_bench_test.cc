// The ingest benchmark. The rate itself is printed, never asserted: run
//   store_test --gtest_also_run_disabled_tests --gtest_filter='*IngestRate*'
// to measure (docs/store.md records the numbers).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/store/bench_ingest.h"
#include "cairn/store/sql_store.h"
#include "cairn/store/sqlite_connection.h"
#include "support/paths.h"

namespace cairn::testing {
namespace {

// Points per run; CAIRN_BENCH_POINTS overrides.
int64_t BenchPoints() {
  const char* env = std::getenv("CAIRN_BENCH_POINTS");
  return env ? std::atoll(env) : 2'000'000;
}

// CAIRN_BENCH_SYNC / CAIRN_BENCH_BATCH pick one setting instead of all.
std::vector<std::string> Syncs() {
  if (const char* env = std::getenv("CAIRN_BENCH_SYNC")) return {env};
  return {"FULL", "NORMAL"};
}
std::vector<int64_t> Batches() {
  if (const char* env = std::getenv("CAIRN_BENCH_BATCH")) return {std::atoll(env)};
  return {1000, 10000, 100000};
}

TEST(StoreBenchTest, DISABLED_IngestRateSqlite) {
  for (const std::string& sync : Syncs()) {
    for (int64_t batch : Batches()) {
      auto dir = MakeTempDir("cairn-bench");
      const char* page = std::getenv("CAIRN_BENCH_PAGE_SIZE");
      auto conn = store::SqliteConnection::Open(
          (dir / "bench.db").string(),
          {.synchronous = sync, .page_size = page ? std::atoi(page) : 8192});
      ASSERT_TRUE(conn.ok()) << conn.status().ToString();
      auto st = store::SqlStore::Open(std::move(*conn), "bench");
      ASSERT_TRUE(st.ok()) << st.status().ToString();
      auto r = store::BenchIngestInto(**st, BenchPoints(), batch);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      std::printf(
          "sqlite synchronous=%-6s batch=%6lld: %lld points in %.3f s = %.0f points/s "
          "(cpu %.3f s = %.0f points per cpu-second)\n",
          sync.c_str(), static_cast<long long>(batch), static_cast<long long>(r->points),
          r->seconds, r->points_per_second, r->cpu_seconds, r->points / r->cpu_seconds);
      st->reset();
      std::filesystem::remove_all(dir);
    }
  }
}

TEST(StoreBenchTest, DISABLED_IngestRatePostgres) {
  const char* url = std::getenv("CAIRN_TEST_POSTGRES_URL");
  if (url == nullptr) GTEST_SKIP() << "set CAIRN_TEST_POSTGRES_URL (scripts/with-postgres.sh) to run";
  auto r = BenchIngest(url, BenchPoints() / 4, 10000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::printf("postgres batch=10000: %lld points in %.3f s = %.0f points/s (client cpu %.3f s)\n",
              static_cast<long long>(r->points), r->seconds, r->points_per_second, r->cpu_seconds);
}

}  // namespace
}  // namespace cairn::testing
