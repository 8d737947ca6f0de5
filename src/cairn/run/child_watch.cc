#include "cairn/run/child_watch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

namespace cairn::run_internal {
namespace {

int g_sigchld_write = -1;  // written from the signal handler
int g_sigchld_read = -1;

void OnSigchld(int) {
  int saved = errno;
  char byte = 1;
  ssize_t ignored = write(g_sigchld_write, &byte, 1);  // full pipe: a byte is already there
  (void)ignored;
  errno = saved;
}

void InstallSigchld() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
  g_sigchld_read = fds[0];
  g_sigchld_write = fds[1];
  struct sigaction action {};
  action.sa_handler = OnSigchld;
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&action.sa_mask);
  sigaction(SIGCHLD, &action, nullptr);
}

}  // namespace

int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);  // pidfds are close-on-exec already; be sure
  return fd;
#else
  (void)pid;
  return -1;
#endif
}

int SigchldFd() {
  static std::once_flag once;
  std::call_once(once, InstallSigchld);
  return g_sigchld_read;
}

void DrainFd(int fd) {
  char buffer[256];
  while (read(fd, buffer, sizeof buffer) > 0) {
  }
}

bool HasEnded(pid_t pid, bool* gone) {
  *gone = false;
  siginfo_t info{};
  for (;;) {
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
      return info.si_pid == pid;
    }
    if (errno == EINTR) continue;
    *gone = true;  // ECHILD: not (or no longer) our child
    return true;
  }
}

}  // namespace cairn::run_internal
