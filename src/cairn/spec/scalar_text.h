// Internal: strict parsing of YAML plain-scalar text into numbers and bools.
//
// Strict means the whole text must be the value: "12abc" is not 12. These
// follow YAML 1.2's core schema closely enough for study files, without
// yaml-cpp's as<T>() (which throws and accepts "yes" for true).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn::spec_internal {

// Decimal integer with an optional sign: "12", "-3", "+4".
std::optional<int64_t> ParseIntText(std::string_view text);
// Decimal or exponent form with an optional sign: "1e-4", ".5", "-2.0";
// also ".inf", ".nan" and their signed/capitalised forms (YAML spellings).
std::optional<double> ParseDoubleText(std::string_view text);
// true/True/TRUE and false/False/FALSE.
std::optional<bool> ParseBoolText(std::string_view text);

}  // namespace cairn::spec_internal
