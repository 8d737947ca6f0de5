// LineSplitter: cuts a byte stream that arrives in chunks into lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::run_internal {

// Keeps the unterminated tail between chunks. A line longer than max_bytes
// is dropped whole (it cannot be a report), so memory stays bounded however
// long a program writes without a newline.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends the complete lines in `chunk` (without '\n') to *lines.
  void Feed(std::string_view chunk, std::vector<std::string>* lines);
  // At end of stream: the final unterminated line, if any, goes to *lines.
  void Finish(std::vector<std::string>* lines);

 private:
  void Append(std::string_view piece);

  size_t max_bytes_;
  std::string partial_;
  bool overflow_ = false;  // the current line passed max_bytes_: skip to '\n'
};

}  // namespace cairn::run_internal
