// Finding the image in a container command line. Only the option shapes of
// the common tools are known; an unknown long option is taken as a flag, so
// a rare valued option written without '=' may be mistaken for the image.
#include <algorithm>
#include <filesystem>
#include <set>

#include "cairn/capture.h"

namespace cairn {
namespace {

using Args = std::vector<std::string>;

// Options of `docker|podman run/create` (and global ones) that take a value.
const std::set<std::string>& DockerValued() {
  static const std::set<std::string> k = {
      "-a", "--attach", "--add-host", "--annotation", "--blkio-weight", "-c", "--cpu-shares",
      "--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile", "--cpus",
      "--cpuset-cpus", "--cpuset-mems", "--device", "--dns", "--dns-option", "--dns-search",
      "--entrypoint", "-e", "--env", "--env-file", "--expose", "--gpus", "--group-add",
      "-h", "--hostname", "--health-cmd", "--health-interval", "--health-retries",
      "--health-timeout", "--health-start-period", "--ip", "--ip6", "--ipc", "--isolation",
      "-l", "--label", "--label-file", "--link", "--log-driver", "--log-opt", "-m", "--memory",
      "--memory-reservation", "--memory-swap", "--mount", "--name", "--network", "--net",
      "--network-alias", "--pid", "--pids-limit", "--platform", "-p", "--publish", "--pull",
      "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal",
      "--stop-timeout", "--storage-opt", "--sysctl", "--tmpfs", "-u", "--user", "--ulimit",
      "--userns", "--uts", "-v", "--volume", "--volumes-from", "-w", "--workdir",
      // global options, before the subcommand
      "--config", "--context", "-H", "--host", "--log-level", "--root", "--runroot",
      "--storage-driver", "--url", "--connection"};
  return k;
}

// Options of `apptainer|singularity exec/run` that take a value.
const std::set<std::string>& ApptainerValued() {
  static const std::set<std::string> k = {
      "-B", "--bind", "--env", "--env-file", "-H", "--home", "--pwd", "-o", "--overlay",
      "-W", "--workdir", "-S", "--scratch", "--security", "--network", "--network-args",
      "--hostname", "--mount", "--app", "--apply-cgroups", "--dns", "--drop-caps",
      "--add-caps", "--cpus", "--memory", "--pid-file", "--sandbox", "--config"};
  return k;
}

// The first positional argument at or after `i`, skipping options (and the
// values of those in `valued`); npos when none.
size_t FirstPositional(const Args& argv, size_t i, const std::set<std::string>& valued) {
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") return i + 1 < argv.size() ? i + 1 : std::string::npos;
    if (a.size() < 2 || a[0] != '-') return i;
    if (a.find('=') == std::string::npos && valued.count(a)) ++i;  // skip its value
  }
  return std::string::npos;
}

std::optional<ContainerRef> ParseDocker(const std::string& tool, const Args& argv) {
  size_t i = FirstPositional(argv, 1, DockerValued());
  if (i != std::string::npos && argv[i] == "container") i = FirstPositional(argv, i + 1, {});
  if (i == std::string::npos || (argv[i] != "run" && argv[i] != "create")) return std::nullopt;
  size_t image = FirstPositional(argv, i + 1, DockerValued());
  if (image == std::string::npos) return std::nullopt;
  return ContainerRef{tool, argv[image]};
}

std::optional<ContainerRef> ParseApptainer(const std::string& tool, const Args& argv) {
  size_t i = FirstPositional(argv, 1, {"--config"});
  static const std::set<std::string> kRunners = {"exec", "run", "shell", "test", "instance"};
  if (i == std::string::npos || !kRunners.count(argv[i])) return std::nullopt;
  if (argv[i] == "instance") {  // instance start [opts] IMAGE NAME
    i = FirstPositional(argv, i + 1, {});
    if (i == std::string::npos || argv[i] != "start") return std::nullopt;
  }
  size_t image = FirstPositional(argv, i + 1, ApptainerValued());
  if (image == std::string::npos) return std::nullopt;
  return ContainerRef{tool, argv[image]};
}

}  // namespace

std::optional<ContainerRef> ParseContainerCommand(const Args& argv) {
  if (argv.empty()) return std::nullopt;
  std::string tool = std::filesystem::path(argv[0]).filename().string();
  if (tool == "docker" || tool == "podman") return ParseDocker(tool, argv);
  if (tool == "apptainer" || tool == "singularity") return ParseApptainer(tool, argv);
  return std::nullopt;
}

}  // namespace cairn
