// cairn bench ...: measurements users can repeat.
#include <fmt/format.h>

#include "cairn/store_bench.h"
#include "cli/common.h"

namespace cairn::cli {

namespace {

void RegisterBench(CLI::App& app, Context& ctx) {
  auto* bench = app.add_subcommand("bench", "Measure Cairn against its peers");
  bench->require_subcommand(1);

  struct IngestArgs {
    int64_t points = 1000000;
    bool json = false;
  };
  auto ingest_args = std::make_shared<IngestArgs>();
  auto* ingest = bench->add_subcommand("ingest", "Write N metric points for one trial through the store");
  ingest->add_option("--points", ingest_args->points, "number of metric points")
      ->check(AtLeast(1))
      ->capture_default_str();
  ingest->add_flag("--json", ingest_args->json, "print JSON");
  ingest->add_option("--store", ctx.store_url,
                     "the store to measure: sqlite:///path/to.db or postgresql://... (it keeps a completed study "
                     "named bench-ingest-<time>); default: a temporary SQLite file, deleted afterwards");
  ingest->callback([ingest_args, &ctx] {
    std::string url = ctx.store_url;
    if (url.empty()) {
      // Never pollute the user's store with benchmark studies.
      url = "sqlite://" + (std::filesystem::temp_directory_path() /
                           fmt::format("cairn-bench-ingest-{}.db", getpid())).string();
    }
    auto r = BenchIngest(url, ingest_args->points);
    if (ctx.store_url.empty()) {
      std::filesystem::remove(url.substr(9));
      std::filesystem::remove(url.substr(9) + "-wal");
      std::filesystem::remove(url.substr(9) + "-shm");
    }
    if (!r.ok()) {
      ctx.exit_code = Fail(r.status());
      return;
    }
    if (ingest_args->json) {
      PrintJson({{"points", r->points}, {"seconds", r->seconds}, {"points_per_second", r->points_per_second}});
    } else {
      fmt::print("{} points in {:.3f} s: {:.0f} points/s\n", r->points, r->seconds, r->points_per_second);
    }
  });
}

const CommandRegistrar kBenchRegistrar(80, "bench", RegisterBench);

}  // namespace

}  // namespace cairn::cli
