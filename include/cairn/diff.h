// Comparing two trials: what differed in how the two models were made.
//
//   CAIRN_ASSIGN_OR_RETURN(TrialRef a, ParseTrialRef("digits:3"));
//   CAIRN_ASSIGN_OR_RETURN(TrialRef b, ParseTrialRef("ark:/99999/fk4q3v8x2mdk/t7"));
//   CAIRN_ASSIGN_OR_RETURN(nlohmann::json d, DiffTrials(store, a, b));
//   std::cout << RenderDiff(d, /*all=*/false);
//
// The JSON form (see docs/query.md):
//   {"a": {"study","number","ark"}, "b": {...},
//    "sections": [{"name": "params"|"trial"|"code"|"packages"|"env"|"host"|
//                  "gpus"|"datasets"|"metrics",
//                  "rows": [{"key", "a", "b", "same": bool,
//                            "change": "same"|"changed"|"added"|"removed",
//                            "drift": true (datasets: same path, other hash)}]}]}
// "added" means only B has it, "removed" only A.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn {

// A trial named on the command line.
struct TrialRef {
  enum class Kind {
    kStudyNumber,  // "STUDY:NUMBER"
    kArk,          // "ark:/NAAN/NAME/tN" (a trial) or "ark:/NAAN/NAME" (a study: its best trial)
    kStudyBest,    // "STUDY": the study's best completed trial
  };
  Kind kind = Kind::kStudyBest;
  std::string study;  // kStudyNumber, kStudyBest
  int number = 0;     // kStudyNumber
  std::string ark;    // kArk
};

// kInvalidArgument for an empty text or a bad number.
Result<TrialRef> ParseTrialRef(std::string_view text);
std::string TrialRefToString(const TrialRef& ref);

// Every difference between the trials `a` and `b` (and the rows that are the
// same, marked "same": true). kNotFound when a reference names nothing.
Result<nlohmann::json> DiffTrials(Store& store, const TrialRef& a, const TrialRef& b);

// The diff without its "same" rows (and sections left empty).
nlohmann::json OnlyDifferences(const nlohmann::json& diff);

// Side-by-side text; only differences unless `all`.
std::string RenderDiff(const nlohmann::json& diff, bool all);

}  // namespace cairn
