// Runs the built `cairn` binary as a subprocess for CLI tests: argv only (no
// shell), stdout and stderr captured through files, the exit code returned.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/paths.h"

extern char** environ;

namespace cairn::testing {

struct CliResult {
  int exit_code = -1;  // the exit status, or 128 + signal
  std::string out;
  std::string err;
  // stdout parsed as JSON (discarded value when it is not JSON).
  nlohmann::json Json() const { return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false); }
};

inline std::filesystem::path CairnBinary() { return BinaryDir() / "cairn"; }

// Runs `argv_s` (argv[0] a path) in `cwd` (the current folder when empty)
// with the test's environment minus CAIRN_STORE, plus `env`.
inline CliResult RunCommand(std::vector<std::string> argv_s, const std::filesystem::path& cwd = {},
                            const std::map<std::string, std::string>& env = {}) {
  auto dir = MakeTempDir("cairn-cli-out");
  std::string out_path = (dir / "out").string(), err_path = (dir / "err").string();
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (key != "CAIRN_STORE" && !env.contains(key)) env_s.push_back(kv);
  }
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string cwd_s = cwd.string();

  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    if (!cwd_s.empty() && chdir(cwd_s.c_str()) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  CliResult r;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid) {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  std::filesystem::remove_all(dir);
  return r;
}

// Runs `cairn args...` as RunCommand does.
inline CliResult RunCairn(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                          const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv_s = {CairnBinary().string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  return RunCommand(std::move(argv_s), cwd, env);
}

}  // namespace cairn::testing
