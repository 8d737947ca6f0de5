#include "cairn/text_table.h"

#include <algorithm>

#include "cairn/utf8.h"

namespace cairn {

namespace {

// A cell on one line: control characters that would break the row escaped.
std::string OneLine(const std::string& cell) {
  if (cell.find_first_of("\n\r\t") == std::string::npos) return cell;
  std::string out;
  for (char c : cell) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

}  // namespace

std::string TextTable::Render() const {
  auto cells = [&](const std::vector<std::string>& row) {
    std::vector<std::string> out(header_.size());
    for (size_t i = 0; i < row.size() && i < out.size(); ++i) out[i] = OneLine(row[i]);
    return out;
  };
  std::vector<std::vector<std::string>> lines;
  lines.push_back(cells(header_));
  for (const auto& r : rows_) lines.push_back(cells(r));
  std::vector<size_t> width(header_.size(), 0);
  for (const auto& row : lines) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  }
  std::string out;
  for (const auto& row : lines) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace cairn
