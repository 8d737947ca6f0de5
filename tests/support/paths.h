// Paths and small helpers shared by the tests.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace cairn::testing {

// The project's source and build folders.
std::filesystem::path SourceDir();
std::filesystem::path BinaryDir();
// A fresh empty folder under the system temp dir, removed by the caller (or left for inspection).
std::filesystem::path MakeTempDir(const std::string& prefix);
// ../shared/data/curves/NAME when it exists (development curves), else nullopt.
std::optional<std::filesystem::path> SharedCurves(const std::string& name);
// Writes `text` to `path`, creating folders.
void WriteFile(const std::filesystem::path& path, const std::string& text);
std::string ReadFile(const std::filesystem::path& path);

}  // namespace cairn::testing
