// Prints the benchmark table of every scheduler on the development curves
// next to Optuna's figures (shared/data/curves/peer/). Runs only when
// CAIRN_SCHEDULE_TABLE=1, since it is a measurement, not a check.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "schedule/curve_replay.h"
#include "support/paths.h"

namespace cairn::testing {
namespace {

TEST(BenchTable, PrintsEverySchedulerOnTheDevelopmentCurves) {
  const char* on = std::getenv("CAIRN_SCHEDULE_TABLE");
  if (on == nullptr || std::string(on) != "1") GTEST_SKIP() << "set CAIRN_SCHEDULE_TABLE=1 to print";
  const char* opts = std::getenv("CAIRN_PREDICTIVE_OPTIONS");
  nlohmann::json predictive = opts ? nlohmann::json::parse(opts) : nlohmann::json::object();
  for (std::string name : {"dev-digits", "dev-curves"}) {
    auto path = SharedCurves(name + ".jsonl.gz");
    if (!path) GTEST_SKIP() << "shared curves absent";
    auto file = LoadCurveFile(*path);
    ASSERT_TRUE(file.has_value());
    std::printf("%s\n%-12s %8s %10s %6s\n", name.c_str(), "scheduler", "saved", "regret", "found");
    auto peer_path = SharedCurves("peer/optuna_pruners." + name + ".json");
    if (peer_path) {
      nlohmann::json peer = nlohmann::json::parse(std::ifstream(*peer_path));
      for (const auto& p : peer.at("pruners")) {
        std::printf("optuna:%-5.5s %8.4f %10.6g %6.2f\n", p.at("name").get<std::string>().c_str(),
                    p.at("saved_fraction").get<double>(), p.at("regret").get<double>(),
                    p.at("found_best").get<double>());
      }
    }
    for (std::string s : {"none", "median", "asha", "hyperband", "predictive"}) {
      auto r = Replay(*file, s, s == "predictive" ? predictive : nlohmann::json::object());
      ASSERT_TRUE(r.has_value()) << s;
      std::printf("%-12s %8.4f %10.6g %6.2f  completed %.1f\n", s.c_str(), r->saved_fraction,
                  r->regret, r->found_best, r->completed);
    }
  }
}

}  // namespace
}  // namespace cairn::testing
