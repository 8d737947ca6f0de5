// Plain-text tables for the query part's human output.
#pragma once

#include <string>
#include <vector>

#include "cairn/text_table.h"

namespace cairn::query {

// The CLI's one table renderer (TextTable, in core).
using Table = TextTable;

// Integers exactly, other numbers as %.6g.
std::string FormatNumber(double v);
// A time (seconds since 1970) as "YYYY-MM-DD HH:MM:SS" UTC, the form query
// literals take.
std::string FormatDate(double unix_seconds);

}  // namespace cairn::query
