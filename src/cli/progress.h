// The live progress of `cairn run`: one line redrawn in place on a terminal,
// plain lines (when something changed, at most every few seconds) otherwise.
#pragma once

#include <cstdio>
#include <string>

#include "cairn/study.h"

namespace cairn::cli {

class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::FILE* out);
  void Update(const StudyProgress& p);
  // Ends the line on a terminal, and prints the final state.
  void Finish(const StudyProgress& p);
  // Prints a message without breaking the live line.
  void Message(const std::string& text);

 private:
  static std::string Format(const StudyProgress& p);
  std::FILE* out_;
  bool tty_;
  std::string last_;
  double last_plain_ = -1e300;
  bool line_open_ = false;
};

}  // namespace cairn::cli
