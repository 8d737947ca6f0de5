#include "cairn/gpu/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

extern char** environ;

namespace cairn::internal {
namespace {

// Closes a descriptor once, on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// The caller's environment with `overrides` applied, as "NAME=value" strings.
std::vector<std::string> MergedEnv(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!overrides.count(name)) out.push_back(std::move(entry));
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads what is available on `fd` into `sink` (up to `cap` bytes kept).
// Returns false at end of file or error.
bool Drain(int fd, std::string& sink, size_t cap) {
  char buf[16384];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  size_t keep = sink.size() < cap ? std::min<size_t>(n, cap - sink.size()) : 0;
  sink.append(buf, keep);
  return true;
}

std::chrono::steady_clock::time_point DeadlineAfter(double seconds);

// Pumps both pipes until they close or the deadline passes; true on timeout.
bool PumpUntilClosed(Fd& out, Fd& err, CommandResult& result, const CommandOptions& options,
                     std::chrono::steady_clock::time_point deadline) {
  while (out.fd >= 0 || err.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd fds[2] = {{out.fd, POLLIN, 0}, {err.fd, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) return false;
    if (n <= 0) continue;
    if (fds[0].revents && !Drain(out.fd, result.out, options.max_output_bytes)) out.Close();
    if (fds[1].revents && !Drain(err.fd, result.err, options.max_output_bytes)) err.Close();
  }
  return false;
}

// Reaps `pid`, killing its group if it is still alive at `deadline` (a
// child may close its output and keep running).
int WaitFor(pid_t pid, std::chrono::steady_clock::time_point deadline, bool& timed_out) {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    ::usleep(2000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::chrono::steady_clock::time_point DeadlineAfter(double seconds) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             std::chrono::duration<double>(seconds));
}

}  // namespace

std::optional<std::string> FindProgram(const std::string& name, const std::string& search_path) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  std::string path = search_path;
  if (path.empty()) {
    const char* env = std::getenv("PATH");
    path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    std::error_code ec;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate, ec)) {
      return std::filesystem::absolute(candidate, ec).string();
    }
    start = end + 1;
  }
  return std::nullopt;
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const CommandOptions& options) {
  if (argv.empty()) return InvalidArgument("RunCommand: empty argv");
  auto it = options.env.find("PATH");
  auto program = FindProgram(argv[0], it == options.env.end() ? "" : it->second);
  if (!program) return NotFound("program not found: " + argv[0]);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return IoError("pipe: " + std::string(strerror(errno)));
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return IoError("pipe: " + std::string(strerror(errno)));
  Fd err_r{err_pipe[0]}, err_w{err_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills the tool and its helpers.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);

  std::vector<std::string> args = argv;
  std::vector<std::string> env = MergedEnv(options.env);
  auto c_args = CStrings(args);
  auto c_env = CStrings(env);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, program->c_str(), &actions, &attr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return IoError("cannot start " + *program + ": " + strerror(rc));
  out_w.Close();
  err_w.Close();

  CommandResult result;
  auto deadline = DeadlineAfter(options.timeout_s);
  result.timed_out = PumpUntilClosed(out_r, err_r, result, options, deadline);
  if (result.timed_out) ::kill(-pid, SIGKILL);
  result.exit_code = WaitFor(pid, deadline, result.timed_out);
  return result;
}

}  // namespace cairn::internal
