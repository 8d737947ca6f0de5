// Splitting text without copying it.
//
//   for (std::string_view pair : SplitView("a=1&b=2", '&')) ...
#pragma once

#include <string_view>
#include <vector>

namespace cairn {

// The pieces of `text` between each `sep`: n separators give n + 1 pieces,
// empty ones included ("" gives one empty piece). Views into `text`.
std::vector<std::string_view> SplitView(std::string_view text, char sep);

// Whether `text` is one or more ASCII digits and nothing else ("007": yes;
// "", "-1", "1.0": no).
bool IsAllDigits(std::string_view text);

}  // namespace cairn
