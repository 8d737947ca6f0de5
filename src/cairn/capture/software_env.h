// Probes behind Capturer::CaptureSoftware: a Python interpreter's packages
// and the installed Debian packages. Uncached; the Capturer caches them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn::internal {

// True for interpreter names: "python", "python3", "python3.11".
bool IsPythonName(std::string_view filename);

// Runs `interpreter` once with `env` on top of ours and returns
// {executable, version, prefix, packages: {name: version}}; on failure
// {executable, error}.
nlohmann::json ProbePython(const std::string& interpreter,
                           const std::map<std::string, std::string>& env, double timeout_s);

// {package: version} of the installed packages matching `patterns`
// (dpkg-query -W globs); empty when dpkg-query is missing.
nlohmann::json QueryDebianPackages(const std::vector<std::string>& patterns, double timeout_s);

}  // namespace cairn::internal
