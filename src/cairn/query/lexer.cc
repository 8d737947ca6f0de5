// The hand-written lexer of the query language.
#include "cairn/query/lexer.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "cairn/utf8.h"

namespace cairn::query {

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
// Field names may hold dots (params.lr), slashes (metrics.sys/rss_bytes) and
// dashes (env.scikit-learn).
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-';
}
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size()) break;
      CAIRN_ASSIGN_OR_RETURN(Token t, Next());
      out.push_back(std::move(t));
    }
    out.push_back({TokenKind::kEnd, "", 0.0, text_.size()});
    return out;
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  char Peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  Result<Token> Next() {
    const size_t start = pos_;
    const char c = Peek();
    if (c == '(' || c == ')' || c == ',') {
      ++pos_;
      return Token{c == '(' ? TokenKind::kLParen : c == ')' ? TokenKind::kRParen : TokenKind::kComma,
                   std::string(1, c), 0.0, start};
    }
    if (c == '"' || c == '\'') return String(c);
    if (c == '`') return QuotedIdent();
    if (IsDigit(c) || ((c == '-' || c == '+' || c == '.') && (IsDigit(Peek(1)) || (Peek(1) == '.' && IsDigit(Peek(2)))))) {
      return Number();
    }
    if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      return Token{TokenKind::kIdent, std::string(text_.substr(start, pos_ - start)), 0.0, start};
    }
    for (std::string_view op : {"==", "!=", "<=", ">=", "!~", "=", "<", ">", "~"}) {
      if (text_.substr(pos_, op.size()) == op) {
        pos_ += op.size();
        return Token{TokenKind::kOp, std::string(op), 0.0, start};
      }
    }
    return QueryError(text_, start, fmt::format("unexpected character '{}'", c));
  }

  // Backslash escapes \" \' \\ \n \t; any other backslash is kept, so
  // regular expressions such as "^1\." need no doubling.
  Result<Token> String(char quote) {
    const size_t start = pos_++;
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        char e = text_[pos_++];
        if (e == 'n') value += '\n';
        else if (e == 't') value += '\t';
        else if (e == quote || e == '\\') value += e;
        else { value += '\\'; value += e; }
        continue;
      }
      value += c;
    }
    if (pos_ >= text_.size()) return QueryError(text_, start, "unterminated string");
    ++pos_;
    return Token{TokenKind::kString, std::move(value), 0.0, start};
  }

  // `any field name` for names with spaces or other characters.
  Result<Token> QuotedIdent() {
    const size_t start = pos_++;
    size_t end = text_.find('`', pos_);
    if (end == std::string_view::npos) return QueryError(text_, start, "unterminated `name`");
    std::string name(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return Token{TokenKind::kIdent, std::move(name), 0.0, start};
  }

  Result<Token> Number() {
    const size_t start = pos_;
    if (Peek() == '-' || Peek() == '+') ++pos_;
    while (IsDigit(Peek()) || Peek() == '.') ++pos_;
    if ((Peek() == 'e' || Peek() == 'E') &&
        (IsDigit(Peek(1)) || ((Peek(1) == '-' || Peek(1) == '+') && IsDigit(Peek(2))))) {
      pos_ += 2;
      while (IsDigit(Peek())) ++pos_;
    }
    std::string_view s = text_.substr(start, pos_ - start);
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double v = 0.0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || IsIdentStart(Peek())) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      return QueryError(text_, start, fmt::format("bad number '{}'", text_.substr(start, pos_ - start)));
    }
    return Token{TokenKind::kNumber, std::string(text_.substr(start, pos_ - start)), v, start};
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> Lex(std::string_view text) { return Lexer(text).Run(); }

Status QueryError(std::string_view text, size_t offset, std::string_view message) {
  if (offset > text.size()) offset = text.size();
  size_t line_start = 0;
  if (offset > 0) {
    size_t nl = text.rfind('\n', offset - 1);
    if (nl != std::string_view::npos) line_start = nl + 1;
  }
  size_t line_end = text.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = text.size();
  int line = 1;
  for (size_t i = 0; i < line_start; ++i) line += text[i] == '\n';
  // Columns count characters, and the caret is placed by them (DisplayWidth):
  // a name in another script before the error once moved both by its bytes
  // (3 for each Japanese character).
  const std::string_view before = text.substr(line_start, offset - line_start);
  const size_t col = 1 + static_cast<size_t>(std::count_if(before.begin(), before.end(),
                                                           [](char c) { return !IsUtf8Continuation(c); }));
  return InvalidArgument(fmt::format("query:{}:{}: {}\n  {}\n  {}^", line, col, message,
                                     text.substr(line_start, line_end - line_start),
                                     std::string(DisplayWidth(before), ' ')));
}

}  // namespace cairn::query
