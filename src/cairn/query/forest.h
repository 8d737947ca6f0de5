// A small random-forest regressor for the importance surrogate: CART trees
// (squared error) on bootstrap samples, a random subset of features tried at
// each split, numeric splits "x <= threshold" and native categorical splits
// "category in left set" (categories ordered by mean response, the optimal
// order for squared error; Breiman et al. 1984).
#pragma once

#include <cstdint>
#include <vector>

#include "cairn/importance.h"

namespace cairn::query {

struct TreeNode {
  int feature = -1;        // -1: a leaf
  double threshold = 0.0;  // numeric: x <= threshold goes left
  uint64_t left_set = 0;   // categorical: bit c set: category c goes left
  int left = -1;
  int right = -1;
  double value = 0.0;      // mean response of the node's training samples
};

struct Tree {
  std::vector<TreeNode> nodes;  // nodes[0] is the root
};

// REQUIRES: data has no NaN; categorical values are integers in
// [0, categories) with categories <= 64; x and y have the same size > 0.
std::vector<Tree> FitForest(const ImportanceData& data, const ImportanceOptions& options);

double PredictTree(const Tree& tree, const std::vector<ImportanceFeature>& features, const std::vector<double>& x);

// The fANOVA main effects of one tree: per feature, the fraction of the
// tree's variance over the domain explained by that feature alone (a
// uniform measure on each numeric [low, high] and on the categories).
// Empty when the tree is constant over the domain.
std::vector<double> TreeMainEffects(const Tree& tree, const std::vector<ImportanceFeature>& features);

}  // namespace cairn::query
