#include "cairn/utf8.h"

#include <algorithm>

namespace cairn {

size_t Utf8CharLength(std::string_view s, size_t at) {
  auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(i) >= lo && byte(i) <= hi; };
  const unsigned c = byte(at);
  if (at >= s.size()) return 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(at + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const bool second = c == 0xE0 ? cont(at + 1, 0xA0) : c == 0xED ? cont(at + 1, 0x80, 0x9F) : cont(at + 1);
    return second && cont(at + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const bool second = c == 0xF0 ? cont(at + 1, 0x90) : c == 0xF4 ? cont(at + 1, 0x80, 0x8F) : cont(at + 1);
    return second && cont(at + 2) && cont(at + 3) ? 4 : 0;
  }
  return 0;
}

bool IsUtf8(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    const size_t length = Utf8CharLength(text, at);
    if (length == 0) return false;
    at += length;
  }
  return true;
}

size_t Utf8FloorBoundary(std::string_view text, size_t at) {
  at = std::min(at, text.size());
  while (at > 0 && at < text.size() && IsUtf8Continuation(text[at])) --at;
  return at;
}

std::string Utf8Prefix(std::string_view text, size_t bytes) {
  return std::string(text.substr(0, Utf8FloorBoundary(text, bytes)));
}

size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) { return !IsUtf8Continuation(c); }));
}

}  // namespace cairn
