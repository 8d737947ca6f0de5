#include "cairn/run/line_splitter.h"

namespace cairn::run_internal {

void LineSplitter::Append(std::string_view piece) {
  if (overflow_) return;
  if (partial_.size() + piece.size() > max_bytes_) {
    overflow_ = true;
    partial_.clear();
    partial_.shrink_to_fit();
    return;
  }
  partial_.append(piece);
}

void LineSplitter::Feed(std::string_view chunk, std::vector<std::string>* lines) {
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      Append(chunk);
      return;
    }
    Append(chunk.substr(0, newline));
    if (!overflow_) lines->push_back(std::move(partial_));
    partial_.clear();
    overflow_ = false;
    chunk.remove_prefix(newline + 1);
  }
}

void LineSplitter::Finish(std::vector<std::string>* lines) {
  if (!overflow_ && !partial_.empty()) lines->push_back(std::move(partial_));
  partial_.clear();
  overflow_ = false;
}

}  // namespace cairn::run_internal
