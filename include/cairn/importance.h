// Parameter importance: how much of the objective's variation each
// parameter explains.
//
// A random-forest regression surrogate (CART trees on bootstrap samples with
// feature subsampling; native categorical splits; inactive conditional
// parameters as a separate "missing" region) is fitted on completed trials,
// and each tree is decomposed with functional ANOVA (Hutter, Hoos and
// Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter
// Importance", ICML 2014): the importance of a parameter is the fraction of
// the surrogate's variance, over the whole space, explained by that
// parameter alone. The spread is the standard deviation of that fraction
// across the forest's trees (each fitted on its own bootstrap sample).
//
//   CAIRN_ASSIGN_OR_RETURN(ImportanceReport r, StudyImportance(store, {"digits"}, {}));
//   std::cout << RenderImportance(r);
//
// Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn {

struct ImportanceOptions {
  int trees = 64;              // trees in the forest
  int min_samples_leaf = 2;    // fewest training trials in a leaf
  int max_depth = 12;          // deepest split
  double max_features = 0.8;   // fraction of the parameters tried at each split (at least one)
  uint64_t seed = 1;           // bootstrap and feature draws
  int min_trials = 8;          // fewer completed trials than this is an error
};

// One input of the surrogate.
struct ImportanceFeature {
  std::string name;
  bool categorical = false;
  // Numeric: the domain [low, high] the importance integrates over (already
  // log-transformed for log-scale parameters). Categorical: ignored.
  double low = 0.0;
  double high = 1.0;
  // Categorical: the number of categories; values are 0..categories-1.
  int categories = 0;
};

// Training data: x[i][j] is trial i's value of feature j (NaN = inactive).
struct ImportanceData {
  std::vector<ImportanceFeature> features;
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

struct ParamImportance {
  std::string name;
  double fraction = 0.0;  // share of the variance explained by this parameter alone, 0..1
  double spread = 0.0;    // standard deviation across trees
};

struct ImportanceReport {
  std::vector<ParamImportance> params;  // most important first
  int trials = 0;                       // completed trials used
  std::vector<std::string> studies;
  // 1 - the sum of the main effects: what interactions explain.
  double interactions = 0.0;
  std::string method = "fanova";
};

// Fits the forest on `data` and decomposes it. kInvalidArgument for empty
// data, mismatched sizes or more than 64 categories.
Result<ImportanceReport> ComputeImportance(const ImportanceData& data, const ImportanceOptions& options);

// Pools the completed trials (with a value) of `studies`, which should share
// a search space (parameters missing from some are treated as inactive), and
// computes the importance of their parameters for the objective.
Result<ImportanceReport> StudyImportance(Store& store, const std::vector<std::string>& studies,
                                         const ImportanceOptions& options);

nlohmann::json ImportanceJson(const ImportanceReport& report);
std::string RenderImportance(const ImportanceReport& report);

}  // namespace cairn
