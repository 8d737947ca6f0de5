// Capturer: assembles study and trial records from the capture pieces and
// caches what is expensive, so a trial's start costs milliseconds.
#include <sys/stat.h>

#include <mutex>
#include <optional>

#include "cairn/capture.h"
#include "cairn/capture/software_env.h"
#include "cairn/gpu.h"
#include "cairn/gpu/run_command.h"
#include "cairn/version.h"

extern char** environ;

namespace cairn {
namespace {

using Env = std::map<std::string, std::string>;

Env ProcessEnv() {
  Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

// What the trial sees: our environment with its variables on top.
Env Merged(const Env& extra) {
  Env env = ProcessEnv();
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

std::string Get(const Env& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

int64_t MtimeNs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

std::string ClippedFirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.substr(0, 300);
}

}  // namespace

struct Capturer::Impl {
  CaptureOptions options;
  FingerprintCache fingerprints;
  mutable std::mutex mu;
  std::map<std::string, nlohmann::json> python;      // GUARDED_BY(mu); by interpreter key
  std::optional<nlohmann::json> debian;              // GUARDED_BY(mu)
  std::map<std::string, nlohmann::json> containers;  // GUARDED_BY(mu); by tool + image
  CaptureStats stats;                                // GUARDED_BY(mu)

  explicit Impl(CaptureOptions o)
      : options(std::move(o)), fingerprints(options.fingerprint_cache_file) {}

  GpuProbe& Gpus() { return options.gpu_probe ? *options.gpu_probe : GpuProbe::Default(); }

  nlohmann::json Python(const std::string& interpreter, const Env& env);
  nlohmann::json Debian();
  nlohmann::json ContainerDigest(const ContainerRef& ref, const Env& env,
                                 const std::filesystem::path& workdir);
  nlohmann::json Gpu(const std::string& id);
};

nlohmann::json Capturer::Impl::Python(const std::string& interpreter, const Env& env) {
  // The same interpreter with the same search path lists the same packages;
  // reinstalling it changes its mtime.
  std::string key = interpreter + "\n" + std::to_string(MtimeNs(interpreter));
  for (const char* var : {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYENV_VERSION"}) {
    key += "\n" + Get(env, var);
  }
  {
    std::lock_guard lock(mu);
    if (auto it = python.find(key); it != python.end()) return it->second;
  }
  // The probe is Cairn's process, not the trial's: without the trial
  // protocol's variables. A trial that ends sweeps up the processes that
  // carry its CAIRN_TRIAL_ID and CAIRN_TRIAL_DIR (KillTrialProcesses), and
  // a short trial's probe, still running, was killed with it.
  Env probe_env;
  for (const auto& [name, value] : env) {
    if (name.rfind("CAIRN_", 0) != 0) probe_env.emplace(name, value);
  }
  nlohmann::json facts = internal::ProbePython(interpreter, probe_env, options.command_timeout_s);
  std::lock_guard lock(mu);
  ++stats.python_probes;
  // A failure may pass (a probe killed or slow under load): the next trial
  // probes again rather than every later trial recording "?".
  if (!facts.contains("error")) python[key] = facts;
  return facts;
}

nlohmann::json Capturer::Impl::Debian() {
  {
    std::lock_guard lock(mu);
    if (debian) return *debian;
  }
  nlohmann::json pkgs =
      internal::QueryDebianPackages(options.debian_packages, options.command_timeout_s);
  std::lock_guard lock(mu);
  ++stats.dpkg_queries;
  debian = pkgs;
  return pkgs;
}

nlohmann::json Capturer::Impl::ContainerDigest(const ContainerRef& ref, const Env& env,
                                               const std::filesystem::path& workdir) {
  nlohmann::json out = {{"tool", ref.tool}, {"image", ref.image}, {"digest", nullptr},
                        {"digest_status", "unknown"}};
  if (ref.tool == "apptainer" || ref.tool == "singularity") {
    if (ref.image.find("://") != std::string::npos) {
      out["error"] = "remote image: no local file to hash";
      return out;
    }
    std::filesystem::path image = ref.image;
    if (image.is_relative() && !workdir.empty()) image = workdir / image;
    auto sha = fingerprints.FileSha256(image);  // cached by size and mtime
    {
      std::lock_guard lock(mu);
      ++stats.container_probes;
    }
    if (!sha.ok()) {
      out["error"] = sha.status().message();
      return out;
    }
    out.update({{"digest", "sha256:" + *sha}, {"digest_status", "ok"}});
    return out;
  }
  const std::string key = ref.tool + "\n" + ref.image;
  {
    std::lock_guard lock(mu);
    if (auto it = containers.find(key); it != containers.end()) return it->second;
  }
  auto r = internal::RunCommand({ref.tool, "image", "inspect", "--format", "{{.Id}}", ref.image},
                                {.env = {{"PATH", Get(env, "PATH")}},
                                 .timeout_s = options.command_timeout_s});
  if (!r.ok()) {
    out["error"] = r.status().message();
  } else if (!r->ok() || ClippedFirstLine(r->out).empty()) {
    out["error"] = r->timed_out ? "timed out" : ClippedFirstLine(r->err);
  } else {
    out.update({{"digest", ClippedFirstLine(r->out)}, {"digest_status", "ok"}});
  }
  std::lock_guard lock(mu);
  ++stats.container_probes;
  // A failed inspect is not cached: the daemon may come back or the image be pulled.
  if (out["digest_status"] == "ok") containers[key] = out;
  return out;
}

nlohmann::json Capturer::Impl::Gpu(const std::string& id) {
  auto info = Gpus().Find(id);
  nlohmann::json j = info ? GpuInfoToJson(*info) : nlohmann::json{{"known", false}};
  j["id"] = id;
  return j;
}

Capturer::Capturer(CaptureOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Capturer::~Capturer() = default;

FingerprintCache& Capturer::fingerprints() { return impl_->fingerprints; }

CaptureStats Capturer::stats() const {
  std::lock_guard lock(impl_->mu);
  CaptureStats s = impl_->stats;
  s.fingerprints = impl_->fingerprints.stats();
  return s;
}

nlohmann::json Capturer::CaptureSoftware(const std::vector<std::string>& argv, const Env& env) {
  Env merged = Merged(env);
  nlohmann::json out = {{"python", nullptr}, {"conda", nullptr}};
  if (!argv.empty() &&
      internal::IsPythonName(std::filesystem::path(argv[0]).filename().string())) {
    if (auto path = internal::FindProgram(argv[0], Get(merged, "PATH"))) {
      out["python"] = impl_->Python(*path, merged);
    } else {
      out["python"] = {{"executable", argv[0]}, {"error", "not found on PATH"}};
    }
  }
  std::string prefix = Get(merged, "CONDA_PREFIX"), name = Get(merged, "CONDA_DEFAULT_ENV");
  if (!prefix.empty() || !name.empty()) out["conda"] = {{"prefix", prefix}, {"name", name}};
  out["debian"] = impl_->Debian();
  return out;
}

nlohmann::json Capturer::CaptureContainer(const std::vector<std::string>& argv, const Env& env,
                                          const std::filesystem::path& workdir) {
  auto ref = ParseContainerCommand(argv);
  if (!ref) return nullptr;
  Env merged = Merged(env);
  // Run the tool the trial runs: argv[0] as found on the trial's PATH.
  ContainerRef resolved = *ref;
  if (auto path = internal::FindProgram(argv[0], Get(merged, "PATH"))) resolved.tool = *path;
  nlohmann::json out = impl_->ContainerDigest(resolved, merged, workdir);
  out["tool"] = ref->tool;
  return out;
}

CapturedContext Capturer::CaptureStudy(const std::filesystem::path& workdir) {
  CapturedContext ctx;
  CodeVersion code = CaptureCodeVersion(workdir, impl_->options.command_timeout_s);
  nlohmann::json code_json = CodeVersionToJson(code);
  if (!code.diff.empty()) {
    Blob diff = MakeBlob("git_diff", {{"diff", code.diff}, {"sha256", code.diff_sha256}});
    code_json["diff_blob"] = diff.hash;
    ctx.blobs.push_back(std::move(diff));
  }
  Blob host = MakeBlob("host", CaptureHost());
  ctx.record = {{"format", kRecordFormat},
                {"cairn_version", CAIRN_VERSION},
                {"workdir", std::filesystem::absolute(workdir).string()},
                {"code", std::move(code_json)},
                {"host", host.hash}};
  ctx.blobs.push_back(std::move(host));
  return ctx;
}

CapturedContext Capturer::CaptureTrial(const TrialCaptureRequest& req) {
  CapturedContext ctx;
  Blob software = MakeBlob("software_env", CaptureSoftware(req.argv, req.env));
  Blob host = MakeBlob("host", CaptureHost());
  nlohmann::json gpus = nlohmann::json::array();
  for (const std::string& id : req.gpus) gpus.push_back(impl_->Gpu(id));
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& path : req.datasets) {
    datasets.push_back(FingerprintDataset(path, impl_->fingerprints));
  }
  if (!req.datasets.empty()) (void)impl_->fingerprints.Save();  // a cache: failure is harmless
  Env env = impl_->options.include_process_env ? Merged(req.env) : req.env;
  ctx.record = {{"format", kRecordFormat},
                {"argv", req.argv},
                {"env", RedactEnv(env)},
                {"software", software.hash},
                {"container", CaptureContainer(req.argv, req.env, req.workdir)},
                {"gpus", std::move(gpus)},
                {"datasets", std::move(datasets)},
                {"program_files", FingerprintProgramFiles(req.argv, req.workdir)},
                {"host", host.hash}};
  ctx.blobs.push_back(std::move(software));
  ctx.blobs.push_back(std::move(host));
  return ctx;
}

namespace {
Capturer& DefaultCapturer() {
  static Capturer* capturer = new Capturer();  // leaked: used until exit
  return *capturer;
}
}  // namespace

CapturedContext CaptureStudyContext(const std::filesystem::path& workdir) {
  return DefaultCapturer().CaptureStudy(workdir);
}

CapturedContext CaptureTrialContext(const TrialCaptureRequest& request) {
  return DefaultCapturer().CaptureTrial(request);
}

}  // namespace cairn
