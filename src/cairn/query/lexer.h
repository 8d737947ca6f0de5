// Tokens of the query language, with their position for error messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace cairn::query {

enum class TokenKind {
  kIdent,   // a field name or keyword (AND, OR, NOT, IN, EXISTS, IS, NULL, TRUE, FALSE)
  kString,  // "..." or '...' (text holds the unescaped content)
  kNumber,  // 12, -0.5, 1e-3
  kOp,      // = == != < <= > >= ~ !~
  kLParen, kRParen, kComma,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;    // unescaped content for strings; the source otherwise
  double number = 0.0; // kNumber
  size_t offset = 0;   // byte offset of the first character in the query
};

// Splits `text` into tokens ending with kEnd.
Result<std::vector<Token>> Lex(std::string_view text);

// "query:LINE:COL: message\n  <the line>\n  <caret under COL>" as an
// kInvalidArgument Status, for the byte at `offset` (offset == size: just
// past the end).
Status QueryError(std::string_view text, size_t offset, std::string_view message);

}  // namespace cairn::query
