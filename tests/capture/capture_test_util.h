// Helpers shared by the capture tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/gpu/run_command.h"
#include "support/paths.h"

namespace cairn::testing {

// Runs a command that must succeed; returns its stdout.
inline std::string MustRun(const std::vector<std::string>& argv, const std::string& cwd = "") {
  auto r = internal::RunCommand(
      argv, {.cwd = cwd,
             .env = {{"GIT_AUTHOR_NAME", "t"}, {"GIT_AUTHOR_EMAIL", "t@example.org"},
                     {"GIT_COMMITTER_NAME", "t"}, {"GIT_COMMITTER_EMAIL", "t@example.org"},
                     {"GIT_CONFIG_NOSYSTEM", "1"}, {"HOME", cwd.empty() ? "/tmp" : cwd}}});
  if (!r.ok() || !r->ok()) {
    std::string why = r.ok() ? r->err : r.status().ToString();
    ADD_FAILURE() << "command failed: " << argv[0] << " " << (argv.size() > 1 ? argv[1] : "")
                  << ": " << why;
    return "";
  }
  return r->out;
}

// Writes an executable shell script.
inline void WriteScript(const std::filesystem::path& path, const std::string& body) {
  WriteFile(path, "#!/bin/sh\n" + body);
  std::filesystem::permissions(path, std::filesystem::perms::owner_all |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::group_exec);
}

}  // namespace cairn::testing
