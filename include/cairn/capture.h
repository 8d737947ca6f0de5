// The record trail: what Cairn captures about a study and its trials without
// any change to the user's program.
//
// Capture returns JSON records plus content-addressed Blobs. The coordinator
// stores each blob once (Store::PutBlob(blob.hash, blob.kind, blob.body)) and
// keeps the record, which references blobs by hash, in study.spec_json or
// trial.attrs. Identical environments, hosts and diffs are then stored once.
// The record format is described in docs/record-trail.md (kRecordFormat).
//
//   Capturer capturer({.fingerprint_cache_file = store_dir / "fingerprints.json"});
//   CapturedContext study = capturer.CaptureStudy(workdir);
//   CapturedContext trial = capturer.CaptureTrial({.argv = argv, .env = env, .gpus = gpus});
//   for (const Blob& b : trial.blobs) CAIRN_TRY(store.PutBlob(b.hash, b.kind, b.body));
//   record.attrs["context"] = trial.record;
//
//   UtilizationSampler sampler;             // background thread
//   sampler.Register(trial_id, pid, gpus);  // when a trial starts
//   for (auto& s : sampler.Drain()) store.AppendMetrics(ToMetricPoints(s));
//
// Nothing here fails a study: what cannot be read is recorded as unknown,
// missing or "not a repository". Expensive items are cached in the Capturer,
// so capturing a trial with a warm cache costs milliseconds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/trial.h"

namespace cairn {

class Clock;
class GpuProbe;

// Version of the record layout written by CaptureStudy/CaptureTrial.
inline constexpr int kRecordFormat = 1;

// A content-addressed JSON document to store once.
struct Blob {
  std::string hash;  // ContentHash(body)
  std::string kind;  // "host" | "software_env" | "git_diff"
  nlohmann::json body;
};
// SHA-256 (hex) of the JSON's compact dump; object keys are sorted, so equal
// documents hash equal.
std::string ContentHash(const nlohmann::json& j);
Blob MakeBlob(std::string kind, nlohmann::json body);

// ---- Code version ---------------------------------------------------------

struct CodeVersion {
  bool is_repo = false;            // false: not in a git work tree (or no git)
  std::string commit;              // HEAD; empty in a repository with no commits
  std::string branch;              // empty when detached
  std::string remote_url;          // "origin" (else first remote), credentials stripped
  bool dirty = false;              // tracked changes or untracked files
  std::string diff;                // `git diff HEAD` text (binary diffs included)
  std::string diff_sha256;         // SHA-256 of `diff`; empty when the diff is empty
  std::vector<std::string> untracked;  // paths relative to the repository root
  std::string root;                // the work tree's top folder
};
// Runs git (argv, no shell, with a timeout) in `dir`.
CodeVersion CaptureCodeVersion(const std::filesystem::path& dir, double timeout_s = 30.0);
// The record without the diff text: {is_repo, commit, branch, remote_url,
// dirty, diff_sha256, untracked, root}.
nlohmann::json CodeVersionToJson(const CodeVersion& code);
// "https://user:tok@host/x" -> "https://host/x"; scp-like "git@host:x" kept.
// Query parameters named like a secret or a signature, and path segments
// that read like a random token (a webhook's), become "<redacted>".
std::string StripUrlCredentials(std::string_view url);

// What every redaction below puts in place of a secret (and what a
// reproduction of an exported study must not pass on as one).
inline constexpr std::string_view kRedacted = "<redacted>";

// ---- Environment variables ------------------------------------------------

// True when the name contains TOKEN, SECRET, KEY, PASSWORD, CREDENTIAL,
// PASSWD or AUTH (any case).
bool IsSecretName(std::string_view name);
// A copy with the values of secret names replaced by "<redacted>".
std::map<std::string, std::string> RedactEnv(const std::map<std::string, std::string>& env);
// One variable of it: "<redacted>" for a secret's name, else the value with
// any URL credentials stripped.
std::string RedactEnvValue(std::string_view name, const std::string& value);
// A command line fit to share: the value of an option named like a secret
// ("--api-key X", "--token=X") becomes "<redacted>" (placeholders such as
// "{key}" are parameters and stay), and URL words lose their credentials.
std::vector<std::string> RedactArgv(const std::vector<std::string>& argv);
// One word of it, given the word before it.
std::string RedactArgWord(std::string_view previous, const std::string& word);

// ---- Host -----------------------------------------------------------------

// {hostname, cpu_model, cpu_cores, memory_total_bytes, os, kernel, arch}.
nlohmann::json CaptureHost();

// The machine-learning packages a reader looks for first (torch, tensorflow,
// jax, scikit-learn, numpy, transformers, optuna), with their versions, from
// a software_env blob body; empty when it recorded no Python.
std::vector<std::pair<std::string, std::string>> NotablePackages(const nlohmann::json& software_env);

// ---- Containers -----------------------------------------------------------

struct ContainerRef {
  std::string tool;   // "docker" | "podman" | "apptainer" | "singularity"
  std::string image;  // "pytorch/pytorch:2.1", "./env.sif", "docker://..."
};
// The container tool and image of a command such as `docker run --rm -v a:b
// IMAGE python x.py`; nullopt when argv[0] is not a container tool or no
// image can be found.
std::optional<ContainerRef> ParseContainerCommand(const std::vector<std::string>& argv);

// ---- Datasets and artifacts -----------------------------------------------

struct FingerprintStats {
  int64_t files_hashed = 0;  // files whose bytes were read
  int64_t bytes_hashed = 0;
  int64_t cache_hits = 0;    // files whose hash came from the cache
};

// File hashes keyed by (absolute path, size, mtime in ns), optionally kept in
// a JSON file so unchanged large files are never read twice. A missing or
// unreadable cache file is an empty cache. Thread-safe.
class FingerprintCache {
 public:
  // `file` empty: an in-memory cache only. Loads `file` when it exists.
  explicit FingerprintCache(std::filesystem::path file = {});
  ~FingerprintCache();
  FingerprintCache(const FingerprintCache&) = delete;
  FingerprintCache& operator=(const FingerprintCache&) = delete;

  // SHA-256 of a regular file, from the cache when its size and mtime match.
  Result<std::string> FileSha256(const std::filesystem::path& path);
  // Writes the cache file (atomically) when entries changed; no-op in memory.
  Status Save();
  FingerprintStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fingerprint of a declared data path (file, or folder walked recursively
// in sorted order): SHA-256 over each file's (relative path, size, SHA-256).
// {path, kind: "file"|"directory"|"missing", files, bytes, sha256 (null when
// missing), errors: [unreadable files]}.
nlohmann::json FingerprintDataset(const std::filesystem::path& path, FingerprintCache& cache);

// The files in the work folder the command line names (argv[0] only when it
// has a slash; an argument beginning with '-' or under a .cairn/ folder is
// skipped; relative paths resolve against `workdir`; with a `workdir`, files
// outside it, such as /usr/bin/python3, are not the user's code), in argv
// order: [{path (as given), bytes, sha256 (null above 16 MiB)}]. Outside git
// this is the code's only record.
nlohmann::json FingerprintProgramFiles(const std::vector<std::string>& argv, const std::filesystem::path& workdir);

// The files under a trial's folder, sorted: [{path (relative), size, sha256,
// log: true for the top-level stdout.log/stderr.log, cairn: true (present
// only then) for the Slurm executor's top-level slurm_* files}]. Empty when the folder
// is missing. Hashes go through `cache` when given.
nlohmann::json ListArtifacts(const std::filesystem::path& trial_dir,
                             FingerprintCache* cache = nullptr);

// ---- Study and trial context ----------------------------------------------

struct CaptureOptions {
  // Where dataset/artifact hashes persist (e.g. <store dir>/fingerprints.json);
  // empty: memory only.
  std::filesystem::path fingerprint_cache_file;
  // Debian packages recorded with every software environment (dpkg-query -W
  // patterns; only installed ones are recorded).
  std::vector<std::string> debian_packages = {
      "libc6", "python3", "python3-torch", "python3-sklearn", "python3-numpy",
      "nvidia-driver*", "libnvidia-ml*", "libcuda1", "cuda-toolkit*", "libcudart*"};
  // Seconds any one helper command (git, python, dpkg-query, docker) may take.
  double command_timeout_s = 30.0;
  // GPUs are looked up here; null: GpuProbe::Default().
  GpuProbe* gpu_probe = nullptr;
  // Record the coordinator's own environment under the trial's variables
  // (what the trial really sees); false: only the trial's extra variables.
  bool include_process_env = true;
};

struct TrialCaptureRequest {
  std::vector<std::string> argv;               // as launched; argv[0] the program
  std::map<std::string, std::string> env;      // the trial's variables on top of ours
  std::vector<std::string> gpus;               // device ids given (index or UUID)
  std::vector<std::filesystem::path> datasets; // declared data paths
  std::filesystem::path workdir;               // resolves relative image paths; empty: cwd
};

// A record and the blobs it references.
struct CapturedContext {
  nlohmann::json record;
  std::vector<Blob> blobs;
};

// Counters for tests and the CLI's diagnostics.
struct CaptureStats {
  int64_t python_probes = 0;     // interpreter runs to list packages
  int64_t dpkg_queries = 0;
  int64_t container_probes = 0;  // docker/podman inspect runs and .sif hashes
  FingerprintStats fingerprints;
};

// Captures study and trial contexts, caching what is expensive: packages per
// interpreter (path + mtime), Debian packages and host once per Capturer,
// container digests per image, file hashes in the FingerprintCache.
// Thread-safe.
class Capturer {
 public:
  explicit Capturer(CaptureOptions options = {});
  ~Capturer();
  Capturer(const Capturer&) = delete;
  Capturer& operator=(const Capturer&) = delete;

  // {format, cairn_version, workdir, code: CodeVersionToJson + diff_blob, host: hash};
  // blobs: host, git_diff (when dirty).
  CapturedContext CaptureStudy(const std::filesystem::path& workdir);
  // {format, argv, env (redacted), software: hash, container (or null),
  //  gpus: [GpuInfoToJson...], datasets: [...], host: hash};
  // blobs: host, software_env. Saves the fingerprint cache when it changed.
  CapturedContext CaptureTrial(const TrialCaptureRequest& request);

  // The software environment of a command: {python: {executable, version,
  // prefix, packages} or null, conda: {prefix, name} or null, debian: {pkg: version}}.
  nlohmann::json CaptureSoftware(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env);
  // {tool, image, digest (or null), digest_status: "ok"|"unknown", error} or null.
  nlohmann::json CaptureContainer(const std::vector<std::string>& argv,
                                  const std::map<std::string, std::string>& env,
                                  const std::filesystem::path& workdir = {});

  FingerprintCache& fingerprints();
  CaptureStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A process-wide Capturer with default options (memory-only fingerprints).
CapturedContext CaptureStudyContext(const std::filesystem::path& workdir);
CapturedContext CaptureTrialContext(const TrialCaptureRequest& request);

// ---- Utilization sampling -------------------------------------------------

// One reading of one trial's processes and GPUs.
struct UtilizationSample {
  int64_t trial_id = 0;
  int64_t step = 0;  // 0, 1, 2... per trial
  double time = 0.0; // Clock::WallTime()
  // "sys/cpu_percent" (100 = one core busy; absent in a trial's first
  // sample), "sys/rss_bytes", "sys/processes", and per GPU k of the trial
  // (k = position in its list, as the trial sees it): "sys/gpu<k>_util",
  // "sys/gpu<k>_mem_bytes", "sys/gpu<k>_power_w".
  std::map<std::string, double> values;
};
std::vector<MetricPoint> ToMetricPoints(const UtilizationSample& sample);

struct UtilizationSamplerOptions {
  double interval_s = 1.0;          // between samples
  Clock* clock = nullptr;           // sample times; null: RealClock::Default()
  GpuProbe* gpu_probe = nullptr;    // null: GpuProbe::Default()
  size_t max_queued = 100000;       // older samples are dropped beyond this
  std::string proc_root = "/proc";  // where process stats are read
};

// Samples registered trials on a background thread, so the coordinator's
// loop never waits on /proc or the GPU driver. CPU and memory are summed over
// the trial's process group (every process whose pgrp is the trial's pid).
// Thread-safe; the destructor stops and joins the thread.
class UtilizationSampler {
 public:
  explicit UtilizationSampler(UtilizationSamplerOptions options = {});
  ~UtilizationSampler();
  UtilizationSampler(const UtilizationSampler&) = delete;
  UtilizationSampler& operator=(const UtilizationSampler&) = delete;

  // REQUIRES: pid is the trial's process group leader.
  void Register(int64_t trial_id, int pid, std::vector<std::string> gpus = {});
  void Unregister(int64_t trial_id);
  // The samples taken since the last call, oldest first.
  std::vector<UtilizationSample> Drain();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn
