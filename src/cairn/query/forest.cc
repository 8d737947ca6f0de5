// CART regression trees and the forest of them.
#include "cairn/query/forest.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace cairn::query {

namespace {

struct Split {
  int feature = -1;
  double gain = 0.0;
  double threshold = 0.0;
  uint64_t left_set = 0;
};

// The split of `idx` on numeric feature `f` that most reduces squared error.
void BestNumericSplit(const ImportanceData& d, int f, std::vector<int> idx, int min_leaf, Split* best) {
  std::sort(idx.begin(), idx.end(), [&](int a, int b) { return d.x[a][f] < d.x[b][f]; });
  const int n = static_cast<int>(idx.size());
  double total = 0;
  for (int i : idx) total += d.y[i];
  double left = 0;
  for (int i = 1; i < n; ++i) {
    left += d.y[idx[i - 1]];
    double lo = d.x[idx[i - 1]][f], hi = d.x[idx[i]][f];
    if (i < min_leaf || n - i < min_leaf || !(lo < hi)) continue;
    double right = total - left;
    double gain = left * left / i + right * right / (n - i) - total * total / n;
    if (gain > best->gain) *best = {f, gain, lo + (hi - lo) / 2, 0};
  }
}

// The best subset split on categorical feature `f`: categories sorted by
// mean response, then the best prefix. Categories absent here go right.
void BestCategoricalSplit(const ImportanceData& d, int f, const std::vector<int>& idx, int min_leaf, Split* best) {
  const int k = d.features[f].categories;
  std::vector<double> sum(k, 0.0);
  std::vector<int> count(k, 0);
  for (int i : idx) {
    int c = static_cast<int>(d.x[i][f]);
    sum[c] += d.y[i];
    ++count[c];
  }
  std::vector<int> present;
  for (int c = 0; c < k; ++c) if (count[c] > 0) present.push_back(c);
  std::sort(present.begin(), present.end(), [&](int a, int b) { return sum[a] / count[a] < sum[b] / count[b]; });
  const double total = std::accumulate(sum.begin(), sum.end(), 0.0);
  const int n = static_cast<int>(idx.size());
  double left = 0;
  int nl = 0;
  uint64_t set = 0;
  for (size_t p = 0; p + 1 < present.size(); ++p) {
    left += sum[present[p]];
    nl += count[present[p]];
    set |= uint64_t{1} << present[p];
    if (nl < min_leaf || n - nl < min_leaf) continue;
    double right = total - left;
    double gain = left * left / nl + right * right / (n - nl) - total * total / n;
    if (gain > best->gain) *best = {f, gain, 0.0, set};
  }
}

bool GoesLeft(const ImportanceFeature& feature, const TreeNode& node, double x) {
  if (feature.categorical) return (node.left_set >> static_cast<int>(x)) & 1;
  return x <= node.threshold;
}

class TreeBuilder {
 public:
  TreeBuilder(const ImportanceData& d, const ImportanceOptions& o, uint64_t seed) : d_(d), o_(o), rng_(seed) {}

  Tree Build(std::vector<int> sample) {
    Grow(std::move(sample), 0);
    return std::move(tree_);
  }

 private:
  int Grow(std::vector<int> idx, int depth) {
    const int id = static_cast<int>(tree_.nodes.size());
    tree_.nodes.emplace_back();
    double mean = 0;
    for (int i : idx) mean += d_.y[i];
    tree_.nodes[id].value = mean / static_cast<double>(idx.size());
    if (depth >= o_.max_depth || static_cast<int>(idx.size()) < 2 * o_.min_samples_leaf) return id;
    Split best;
    for (int f : DrawFeatures()) {
      if (d_.features[f].categorical) BestCategoricalSplit(d_, f, idx, o_.min_samples_leaf, &best);
      else BestNumericSplit(d_, f, idx, o_.min_samples_leaf, &best);
    }
    if (best.feature < 0 || best.gain <= 1e-12) return id;
    std::vector<int> left, right;
    for (int i : idx) {
      TreeNode probe{.threshold = best.threshold, .left_set = best.left_set};
      (GoesLeft(d_.features[best.feature], probe, d_.x[i][best.feature]) ? left : right).push_back(i);
    }
    tree_.nodes[id].feature = best.feature;
    tree_.nodes[id].threshold = best.threshold;
    tree_.nodes[id].left_set = best.left_set;
    int l = Grow(std::move(left), depth + 1);
    int r = Grow(std::move(right), depth + 1);
    tree_.nodes[id].left = l;
    tree_.nodes[id].right = r;
    return id;
  }

  // A random subset of max_features of the features (at least one).
  std::vector<int> DrawFeatures() {
    const int n = static_cast<int>(d_.features.size());
    std::vector<int> all(n);
    std::iota(all.begin(), all.end(), 0);
    int m = std::clamp(static_cast<int>(o_.max_features * n + 0.5), 1, n);
    for (int i = 0; i < m; ++i) std::swap(all[i], all[i + static_cast<int>(rng_() % (n - i))]);
    all.resize(m);
    return all;
  }

  const ImportanceData& d_;
  const ImportanceOptions& o_;
  std::mt19937_64 rng_;
  Tree tree_;
};

}  // namespace

std::vector<Tree> FitForest(const ImportanceData& data, const ImportanceOptions& options) {
  std::vector<Tree> forest;
  const size_t n = data.y.size();
  for (int t = 0; t < options.trees; ++t) {
    const uint64_t seed = options.seed * 1000003u + static_cast<uint64_t>(t);
    std::mt19937_64 rng(seed);
    std::vector<int> sample(n);
    for (auto& i : sample) i = static_cast<int>(rng() % n);
    forest.push_back(TreeBuilder(data, options, seed ^ 0x9e3779b97f4a7c15ULL).Build(std::move(sample)));
  }
  return forest;
}

double PredictTree(const Tree& tree, const std::vector<ImportanceFeature>& features, const std::vector<double>& x) {
  int id = 0;
  while (tree.nodes[id].feature >= 0) {
    const TreeNode& node = tree.nodes[id];
    id = GoesLeft(features[node.feature], node, x[node.feature]) ? node.left : node.right;
  }
  return tree.nodes[id].value;
}

}  // namespace cairn::query
