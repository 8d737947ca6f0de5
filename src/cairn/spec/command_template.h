// Internal: the argv template of a study, split into text and placeholders.
//
// "{name}" is a placeholder; "{{" and "}}" stand for literal braces. Both the
// parser (which checks every name at load time) and ExpandCommand use this
// one splitter, so they cannot disagree about what a placeholder is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace cairn::spec_internal {

struct TemplatePiece {
  bool placeholder = false;  // true: `text` is a name to substitute
  std::string text;          // literal text (braces already unescaped) or the name
};

// Splits one argv element. Errors (without position) for an unmatched '{' or
// '}', an empty "{}" or a '{' inside a placeholder.
Result<std::vector<TemplatePiece>> SplitTemplate(std::string_view element);

// True when the element is exactly one placeholder and nothing else.
bool IsLonePlaceholder(const std::vector<TemplatePiece>& pieces);

}  // namespace cairn::spec_internal
