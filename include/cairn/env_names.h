// Names of environment variables that say nothing about how a model was
// made, for the commands that compare two records' environments.
#pragma once

#include <string_view>

namespace cairn {

// Variables that differ between any two runs of one trial without changing
// what it computes: Cairn's own per-trial ones (CAIRN_*), the shell's
// bookkeeping (PWD, OLDPWD, SHLVL, `_`) and a login session's (SSH_*,
// XDG_*, TMUX*, DISPLAY, TERM*, ...). `diff` and `reproduce` leave them out:
// listed, they would crowd out a changed OMP_NUM_THREADS.
bool IsSessionVariable(std::string_view name);

}  // namespace cairn
