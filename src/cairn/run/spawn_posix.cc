// fork + execve for trials. Everything the child needs (argv, envp, the
// resolved program path) is built before fork: between fork and exec the
// child makes only async-signal-safe system calls.
#include "cairn/run/spawn_posix.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace cairn::run_internal {
namespace {

// What the child writes to the error pipe when it fails before exec.
struct ChildFailure {
  int stage;  // Stage
  int err;    // errno
};
enum Stage : int { kChdir = 1, kExec = 2, kDup = 3 };

// Where execvp would find `name`: the first PATH entry holding an executable
// regular file. Errors are errno values (ENOENT, EACCES).
std::string FindOnPath(const std::string& name, const std::vector<std::string>& env,
                       const std::string& workdir, int* err) {
  std::string path = "/bin:/usr/bin";  // execvp's default when PATH is unset
  for (const std::string& kv : env) {
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  }
  *err = ENOENT;
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    std::filesystem::path dir = path.substr(start, colon - start);
    if (dir.empty()) dir = ".";
    if (dir.is_relative() && !workdir.empty()) dir = std::filesystem::path(workdir) / dir;
    std::string candidate = (dir / name).string();
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      *err = EACCES;
    }
    start = colon + 1;
  }
  return "";
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void ChildFail(int error_fd, int stage) {
  ChildFailure failure{stage, errno};
  ssize_t ignored = write(error_fd, &failure, sizeof failure);
  (void)ignored;
  _exit(127);
}

// Runs in the child: async-signal-safe calls only.
[[noreturn]] void RunChild(const SpawnSpec& spec, const char* program, char** argv, char** envp,
                           int devnull, int error_fd) {
  setpgid(0, 0);
  // Signals ignored or blocked by Cairn must not stay ignored in the trial.
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  if (dup2(devnull, 0) < 0 || dup2(spec.stdout_fd, 1) < 0 || dup2(spec.stderr_fd, 2) < 0) {
    ChildFail(error_fd, kDup);
  }
  // Descriptors some library opened without O_CLOEXEC must not leak into trials.
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (!spec.workdir.empty() && chdir(spec.workdir.c_str()) != 0) ChildFail(error_fd, kChdir);
  execve(program, argv, envp);
  ChildFail(error_fd, kExec);
}

std::string Describe(const SpawnSpec& spec, ChildFailure failure) {
  const char* why = std::strerror(failure.err);
  switch (failure.stage) {
    case kChdir: return "cannot enter workdir " + spec.workdir + ": " + why;
    case kDup: return std::string("cannot set up stdio: ") + why;
    default: return "cannot execute " + spec.argv[0] + ": " + why;
  }
}

// Reads the child's failure report; false when exec succeeded (EOF).
bool ReadFailure(int fd, ChildFailure* failure) {
  for (;;) {
    ssize_t n = read(fd, failure, sizeof *failure);
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof *failure);
  }
}

void Reap(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<SpawnOutcome> Spawn(const SpawnSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InvalidArgument("empty argv: no program to run");
  std::string program = spec.argv[0];
  if (program.find('/') == std::string::npos) {
    int err = 0;
    program = FindOnPath(spec.argv[0], spec.env, spec.workdir, &err);
    if (program.empty()) {
      return SpawnOutcome{.error = "cannot execute " + spec.argv[0] + ": " + std::strerror(err)};
    }
  }
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.env);

  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) return IoError(std::string("cannot open /dev/null: ") + std::strerror(errno));
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    close(devnull);
    return IoError(std::string("cannot make a pipe: ") + std::strerror(errno));
  }
  pid_t pid = fork();
  if (pid == 0) RunChild(spec, program.c_str(), argv.data(), envp.data(), devnull, error_pipe[1]);
  int fork_errno = errno;
  close(devnull);
  close(error_pipe[1]);
  if (pid < 0) {
    close(error_pipe[0]);
    return Unavailable(std::string("cannot fork: ") + std::strerror(fork_errno));
  }
  setpgid(pid, pid);  // also here, so the group exists before we might signal it
  ChildFailure failure{};
  bool failed = ReadFailure(error_pipe[0], &failure);
  close(error_pipe[0]);
  if (failed) {
    Reap(pid);
    return SpawnOutcome{.error = Describe(spec, failure)};
  }
  return SpawnOutcome{.pid = pid};
}

std::vector<std::string> MergeEnvironment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    merged[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& [key, value] : overrides) merged[key] = value;
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& [key, value] : merged) out.push_back(key + "=" + value);
  return out;
}

}  // namespace cairn::run_internal
