// Plain-text tables for the query part's human output.
#pragma once

#include <string>
#include <vector>

namespace cairn::query {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns padded to their widest cell, two spaces apart; one line per row.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Integers exactly, other numbers as %.6g.
std::string FormatNumber(double v);
// A time (seconds since 1970) as "YYYY-MM-DD HH:MM:SS" UTC, the form query
// literals take.
std::string FormatDate(double unix_seconds);

}  // namespace cairn::query
