// ParamFeatures: a trial's parameters as numbers a regression can use.
//
// The predictive rule learns, besides how a value at one step turns into the
// value at the next rung, how the trial's parameters shift that: on real
// searches the widest and deepest networks learn late (they rank in the
// bottom half after one epoch and end on top), which no rule that reads
// values alone can see at its first rungs. The encoding is fixed by the
// search space, so running sums over trials stay valid as trials arrive:
//
// - a float or int parameter is its value scaled into [0, 1] between the
//   space's bounds, in log space for log parameters;
// - a categorical with 2 to kMaxChoices choices is one 0/1 column per choice
//   after the first; one with more (an architecture string per trial) is left
//   out: a linear model cannot use a label it sees once;
// - a parameter a trial lacks (inactive by its condition) is 0 in all its
//   columns.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cairn/space.h"

namespace cairn::schedule {

class ParamFeatures {
 public:
  static constexpr size_t kMaxChoices = 12;

  ParamFeatures() = default;
  explicit ParamFeatures(const SearchSpace& space);

  size_t size() const { return columns_.size(); }
  // Column names ("lr", "optimizer=adam"), for reasons and tests.
  std::vector<std::string> Names() const;
  // The space's parameters as the rule reads them ("lr (log)", "width",
  // "opt (3 choices)"), and those it leaves out with why ("arch (200
  // choices)", "seed (one value)"): a user should see that a stray string
  // made a number a label, or that a label was dropped.
  std::vector<std::string> Read() const { return read_; }
  std::vector<std::string> LeftOut() const { return left_out_; }
  std::vector<double> Encode(const Params& params) const;

 private:
  struct Column {
    std::string name;
    std::string param;             // the parameter it encodes
    bool numeric = true;
    bool log = false;
    double low = 0.0, high = 1.0;  // numeric, in log space when log
    ParamValue choice;             // categorical: 1 when the value equals it
  };
  std::vector<Column> columns_;
  std::vector<std::string> read_, left_out_;
};

}  // namespace cairn::schedule
