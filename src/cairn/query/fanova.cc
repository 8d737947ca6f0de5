// Functional ANOVA of one regression tree (Hutter et al., ICML 2014).
//
// A tree cuts the domain into boxes (its leaves), constant inside. Under a
// uniform measure each leaf L has weight w_L (the product over features of
// the share of the feature's domain its box covers), so the tree's mean is
// sum w_L v_L and its variance sum w_L v_L^2 - mean^2. The marginal of
// feature i at x_i averages the tree over all other features:
//   a_i(x_i) = sum over leaves containing x_i of v_L * w_L / share_i(L).
// It is constant between consecutive split points of feature i (or per
// category), so its variance is a short weighted sum; the main effect of
// feature i is that variance over the tree's variance.
#include <algorithm>
#include <bit>
#include <set>

#include "cairn/query/forest.h"

namespace cairn::query {

namespace {

struct Box {
  std::vector<double> low, high;  // numeric features
  std::vector<uint64_t> cats;     // categorical features: allowed categories
};

struct Leaf {
  Box box;
  double value = 0.0;
  double weight = 0.0;
};

uint64_t AllCategories(int k) { return k >= 64 ? ~uint64_t{0} : (uint64_t{1} << k) - 1; }

double Share(const std::vector<ImportanceFeature>& features, const Box& box, size_t j) {
  const ImportanceFeature& f = features[j];
  if (f.categorical) return static_cast<double>(std::popcount(box.cats[j])) / f.categories;
  double width = std::max(0.0, std::min(box.high[j], f.high) - std::max(box.low[j], f.low));
  return width / (f.high - f.low);
}

void CollectLeaves(const Tree& tree, const std::vector<ImportanceFeature>& features, int id, Box box,
                   std::vector<Leaf>* leaves) {
  const TreeNode& node = tree.nodes[id];
  if (node.feature < 0) {
    double w = 1.0;
    for (size_t j = 0; j < features.size(); ++j) w *= Share(features, box, j);
    if (w > 0) leaves->push_back({box, node.value, w});
    return;
  }
  const int f = node.feature;
  Box left = box, right = std::move(box);
  if (features[f].categorical) {
    left.cats[f] &= node.left_set;
    right.cats[f] &= ~node.left_set;
  } else {
    left.high[f] = std::min(left.high[f], node.threshold);
    right.low[f] = std::max(right.low[f], node.threshold);
  }
  CollectLeaves(tree, features, node.left, std::move(left), leaves);
  CollectLeaves(tree, features, node.right, std::move(right), leaves);
}

// The variance of feature j's marginal.
double MarginalVariance(const Tree& tree, const std::vector<ImportanceFeature>& features,
                        const std::vector<Leaf>& leaves, size_t j, double mean) {
  const ImportanceFeature& f = features[j];
  double var = 0.0;
  if (f.categorical) {
    for (int c = 0; c < f.categories; ++c) {
      double a = 0.0;
      for (const auto& l : leaves) {
        if ((l.box.cats[j] >> c) & 1) a += l.value * l.weight / Share(features, l.box, j);
      }
      var += (a - mean) * (a - mean) / f.categories;
    }
    return var;
  }
  std::set<double> cuts = {f.low, f.high};
  for (const auto& n : tree.nodes) {
    if (n.feature == static_cast<int>(j) && n.threshold > f.low && n.threshold < f.high) cuts.insert(n.threshold);
  }
  std::vector<double> points(cuts.begin(), cuts.end());
  for (size_t c = 0; c + 1 < points.size(); ++c) {
    const double lo = points[c], hi = points[c + 1];
    double a = 0.0;
    for (const auto& l : leaves) {
      if (l.box.low[j] <= lo && hi <= l.box.high[j]) a += l.value * l.weight / Share(features, l.box, j);
    }
    var += (a - mean) * (a - mean) * (hi - lo) / (f.high - f.low);
  }
  return var;
}

}  // namespace

std::vector<double> TreeMainEffects(const Tree& tree, const std::vector<ImportanceFeature>& features) {
  const size_t n = features.size();
  Box root{std::vector<double>(n), std::vector<double>(n), std::vector<uint64_t>(n)};
  for (size_t j = 0; j < n; ++j) {
    root.low[j] = features[j].low;
    root.high[j] = features[j].high;
    root.cats[j] = AllCategories(features[j].categories);
  }
  std::vector<Leaf> leaves;
  CollectLeaves(tree, features, 0, std::move(root), &leaves);
  double mean = 0.0, second = 0.0;
  for (const auto& l : leaves) {
    mean += l.weight * l.value;
    second += l.weight * l.value * l.value;
  }
  const double total = second - mean * mean;
  if (!(total > 1e-12 * std::max(1.0, second))) return {};
  std::vector<double> effects(n);
  for (size_t j = 0; j < n; ++j) effects[j] = std::clamp(MarginalVariance(tree, features, leaves, j, mean) / total, 0.0, 1.0);
  return effects;
}

}  // namespace cairn::query
