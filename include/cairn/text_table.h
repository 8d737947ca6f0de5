// Left-aligned plain-text tables for the CLI's human output.
#pragma once

#include <string>
#include <vector>

namespace cairn {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns padded to their widest cell, two spaces apart; one line per row.
  // Widths count characters, not bytes ("données" is 7 wide); a newline or
  // tab inside a cell is shown as \n or \t, so a row stays one line.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace cairn
