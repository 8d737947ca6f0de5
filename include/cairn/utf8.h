// UTF-8 text: where characters start and end, for cutting and measuring
// text a person will read (table cells, excerpts, study files).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

// Length in bytes of the UTF-8 character that starts at `at`; 0 when the
// bytes there are not one (a stray continuation byte, a cut sequence, an
// overlong form, a surrogate or a code point past U+10FFFF).
size_t Utf8CharLength(std::string_view text, size_t at);
// Whether all of `text` is UTF-8.
bool IsUtf8(std::string_view text);
// Whether byte `c` continues a character rather than starting one.
inline bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
// The largest index <= `at` (clamped to the size) that does not cut a
// character in two.
size_t Utf8FloorBoundary(std::string_view text, size_t at);
// At most `bytes` bytes of `text`, not cutting a character in two.
std::string Utf8Prefix(std::string_view text, size_t bytes);
// Characters (code points) in `text`: its width in a plain-text table.
size_t DisplayWidth(std::string_view text);

}  // namespace cairn
