// RunPeerBench: runs bench/optuna_pruners.py (argv, no shell) and parses it.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cairn/bench_schedulers.h"

extern char** environ;

namespace cairn {
namespace {

// The script given, else the first that exists of $CAIRN_SOURCE_DIR/bench,
// ./bench and the source tree this binary was built from.
std::filesystem::path FindPeerScript(const SchedulerBenchOptions& o) {
  if (!o.peer_script.empty()) return o.peer_script;
  const std::filesystem::path rel = std::filesystem::path("bench") / "optuna_pruners.py";
  if (const char* src = std::getenv("CAIRN_SOURCE_DIR"); src != nullptr && *src != '\0') {
    return std::filesystem::path(src) / rel;
  }
  std::error_code ec;
  if (std::filesystem::exists(rel, ec)) return rel;
  return std::filesystem::path(CAIRN_SOURCE_TREE) / rel;
}

struct Output {
  int status = 0;       // waitpid status
  std::string stdout_text;
  std::string stderr_text;
};

std::string ReadAll(int fd) {
  std::string out;
  char buf[1 << 14];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

// Runs argv with stdout piped and stderr to a temporary file (so a chatty
// stderr cannot block the child while we read stdout).
Result<Output> RunCapture(const std::vector<std::string>& argv) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return IoError(std::string("pipe: ") + std::strerror(errno));
  char err_path[] = "/tmp/cairn-peer-stderr-XXXXXX";
  int err_fd = mkstemp(err_path);
  if (err_fd < 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return IoError(std::string("mkstemp: ") + std::strerror(errno));
  }
  unlink(err_path);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  Output out;
  if (rc == 0) {
    out.stdout_text = ReadAll(out_pipe[0]);
    while (waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {}
  }
  close(out_pipe[0]);
  lseek(err_fd, 0, SEEK_SET);
  out.stderr_text = ReadAll(err_fd);
  close(err_fd);
  if (rc != 0) return Unavailable(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  return out;
}

// The last few lines of a traceback are the useful part.
std::string Tail(const std::string& text, size_t max_chars = 600) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

// The peer script, Unavailable when it is not there.
Result<std::filesystem::path> ExistingPeerScript(const SchedulerBenchOptions& options) {
  const std::filesystem::path script = FindPeerScript(options);
  std::error_code ec;
  if (!std::filesystem::exists(script, ec)) {
    return Unavailable(fmt::format("peer script {} not found (set CAIRN_SOURCE_DIR to the source tree)",
                                   script.string()));
  }
  return script;
}

}  // namespace

Status CheckPeerBench(const SchedulerBenchOptions& options, const std::string& python) {
  CAIRN_TRY(ExistingPeerScript(options).status());
  CAIRN_ASSIGN_OR_RETURN(Output out, RunCapture({python, "-c", "import optuna"}));
  if (!WIFEXITED(out.status) || WEXITSTATUS(out.status) != 0) {
    std::string why = out.stderr_text.empty() ? "it could not run" : out.stderr_text;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    if (auto nl = why.rfind('\n'); nl != std::string::npos) why = why.substr(nl + 1);  // the exception line
    return Unavailable(fmt::format("{} cannot import optuna ({}); on Debian: apt-get install python3-optuna",
                                   python, why));
  }
  return Status::Ok();
}

Result<nlohmann::json> RunPeerBench(const SchedulerBenchOptions& options, const std::string& python) {
  // optuna's absence shows as the script's own failure: CheckPeerBench's
  // extra python start is for callers who want to know before a long run.
  CAIRN_ASSIGN_OR_RETURN(const std::filesystem::path script, ExistingPeerScript(options));
  std::vector<std::string> argv = {python,
                                   script.string(),
                                   "--curves",
                                   options.curves.string(),
                                   "--trials",
                                   std::to_string(options.n),
                                   "--repeats",
                                   std::to_string(options.repeats),
                                   "--seed",
                                   std::to_string(options.seed),
                                   "--json"};
  CAIRN_ASSIGN_OR_RETURN(Output out, RunCapture(argv));
  if (!WIFEXITED(out.status) || WEXITSTATUS(out.status) != 0) {
    std::string why = out.stderr_text.find("No module named 'optuna'") != std::string::npos
                          ? "optuna is not installed for " + python
                          : Tail(out.stderr_text);
    return Unavailable(fmt::format("peer {} failed: {}", script.string(), why));
  }
  try {
    auto j = nlohmann::json::parse(out.stdout_text);
    if (!j.contains("schedulers") || !j["schedulers"].is_array()) {
      return Internal(fmt::format("peer {}: output has no 'schedulers' list", script.string()));
    }
    return j;
  } catch (const nlohmann::json::exception& e) {
    return Internal(fmt::format("peer {}: output is not JSON: {}", script.string(), e.what()));
  }
}

}  // namespace cairn
