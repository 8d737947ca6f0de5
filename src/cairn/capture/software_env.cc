#include "cairn/capture/software_env.h"
#include "cairn/capture.h"

#include "cairn/gpu/run_command.h"

namespace cairn::internal {
namespace {

// Prints the interpreter's facts as one JSON object. The first distribution
// of a name on sys.path wins, as it does for `import`.
constexpr const char* kPythonProbe = R"PY(
import json, sys
out = {"executable": sys.executable, "version": sys.version.split()[0], "prefix": sys.prefix}
try:
    import importlib.metadata as md
    pkgs = {}
    for d in md.distributions():
        name = d.metadata["Name"]
        if name and name not in pkgs:
            pkgs[name] = d.version
    out["packages"] = pkgs
except Exception as e:
    out["packages"] = None
    out["packages_error"] = repr(e)
print(json.dumps(out))
)PY";

std::string FirstLine(const std::string& s, size_t cap = 300) {
  return s.substr(0, std::min(s.find('\n'), cap));
}

}  // namespace

bool IsPythonName(std::string_view name) {
  if (name.rfind("python", 0) != 0) return false;
  return name.substr(6).find_first_not_of("0123456789.") == std::string_view::npos;
}

nlohmann::json ProbePython(const std::string& interpreter,
                           const std::map<std::string, std::string>& env, double timeout_s) {
  CommandOptions opts{.env = env, .timeout_s = timeout_s};
  auto r = RunCommand({interpreter, "-c", kPythonProbe}, opts);
  auto fail = [&](std::string why) {
    return nlohmann::json{{"executable", interpreter}, {"error", std::move(why)}};
  };
  if (!r.ok()) return fail(r.status().message());
  if (r->timed_out) return fail("timed out");
  if (r->exit_code != 0) return fail("exit " + std::to_string(r->exit_code) + ": " + FirstLine(r->err));
  try {
    return nlohmann::json::parse(r->out);
  } catch (const std::exception& e) {
    return fail(std::string("unreadable output: ") + e.what());
  }
}

nlohmann::json QueryDebianPackages(const std::vector<std::string>& patterns, double timeout_s) {
  nlohmann::json out = nlohmann::json::object();
  if (patterns.empty()) return out;
  std::vector<std::string> argv = {"dpkg-query", "-W",
                                   "-f=${binary:Package}\t${Version}\t${db:Status-Abbrev}\n"};
  argv.insert(argv.end(), patterns.begin(), patterns.end());
  // Exits 1 when a pattern matches nothing, but still lists the others.
  auto r = RunCommand(argv, {.env = {{"LC_ALL", "C"}}, .timeout_s = timeout_s});
  if (!r.ok() || r->timed_out) return out;
  size_t start = 0;
  const std::string& text = r->out;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    start = nl + 1;
    size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    if (line.compare(t2 + 1, 2, "ii") != 0) continue;  // known but not installed
    std::string name = line.substr(0, t1);
    out[name.substr(0, name.find(':'))] = line.substr(t1 + 1, t2 - t1 - 1);  // drop ":amd64"
  }
  return out;
}

}  // namespace cairn::internal

namespace cairn {

std::vector<std::pair<std::string, std::string>> NotablePackages(const nlohmann::json& software_env) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!software_env.is_object() || !software_env.contains("python") || !software_env["python"].is_object()) return out;
  const nlohmann::json& packages = software_env["python"].value("packages", nlohmann::json::object());
  if (!packages.is_object()) return out;
  for (const char* name : {"torch", "tensorflow", "jax", "scikit-learn", "numpy", "transformers", "optuna"}) {
    if (packages.contains(name) && packages[name].is_string()) out.emplace_back(name, packages[name].get<std::string>());
  }
  return out;
}

}  // namespace cairn
