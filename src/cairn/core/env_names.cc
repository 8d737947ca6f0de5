#include "cairn/env_names.h"

#include <algorithm>
#include <array>

namespace cairn {

bool IsSessionVariable(std::string_view name) {
  static constexpr std::array<std::string_view, 11> kPrefixes = {
      "CAIRN_", "SSH_", "XDG_", "TMUX", "TERM", "DBUS_", "KONSOLE_", "GNOME_", "VSCODE_", "HIST", "LESS"};
  static constexpr std::array<std::string_view, 15> kNames = {
      "PWD",     "OLDPWD",  "SHLVL",      "_",         "DISPLAY",     "WAYLAND_DISPLAY", "WINDOWID", "COLORTERM",
      "LS_COLORS", "MAIL", "MOTD_SHOWN", "STY", "WINDOW", "VTE_VERSION", "PROMPT_COMMAND"};
  return std::any_of(kPrefixes.begin(), kPrefixes.end(), [&](std::string_view p) { return name.starts_with(p); }) ||
         std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

}  // namespace cairn
