#include <gtest/gtest.h>

#include "cairn/capture.h"
#include "cairn/capture/software_env.h"
#include "capture/capture_test_util.h"
#include "support/paths.h"

namespace cairn {
namespace {

TEST(Redaction, SecretNamesAnyCase) {
  for (const char* name : {"HF_TOKEN", "aws_secret_access_key", "API_KEY", "DB_PASSWORD",
                           "GOOGLE_APPLICATION_CREDENTIALS", "MYSQL_PASSWD", "AuthHeader",
                           "WANDB_API_KEY", "GITHUB_PAT", "MYSQL_PWD", "SSHPASS", "GPG_PASSPHRASE",
                           "SESSION_COOKIE", "pat", "--pwd"}) {
    EXPECT_TRUE(IsSecretName(name)) << name;
  }
  for (const char* name : {"PATH", "HOME", "CUDA_VISIBLE_DEVICES", "CAIRN_PARAMS", "LANG", "PWD", "OLDPWD",
                           "PATTERN_DIR", "LD_LIBRARY_PATH", "SPATIAL_DIMS"}) {
    EXPECT_FALSE(IsSecretName(name)) << name;
  }
}

TEST(Redaction, ValuesReplacedAndUrlsStripped) {
  auto out = RedactEnv({{"HF_TOKEN", "hf_abc"},
                        {"PATH", "/usr/bin"},
                        {"DATABASE_URL", "postgresql://cairn:pw@db/cairn"}});
  EXPECT_EQ(out["HF_TOKEN"], "<redacted>");
  EXPECT_EQ(out["PATH"], "/usr/bin");
  EXPECT_EQ(out["DATABASE_URL"], "postgresql://db/cairn");
}

TEST(Host, FieldsPresent) {
  auto host = CaptureHost();
  EXPECT_FALSE(host["hostname"].get<std::string>().empty());
  EXPECT_FALSE(host["cpu_model"].get<std::string>().empty());
  EXPECT_GT(host["cpu_cores"].get<int>(), 0);
  EXPECT_GT(host["memory_total_bytes"].get<uint64_t>(), 0u);
  EXPECT_FALSE(host["os"].get<std::string>().empty());
  EXPECT_NE(host["kernel"].get<std::string>().find("Linux"), std::string::npos);
  EXPECT_FALSE(host["arch"].get<std::string>().empty());
  EXPECT_EQ(ContentHash(CaptureHost()), ContentHash(host));
}

TEST(ContentHash, KeyOrderDoesNotMatter) {
  auto a = nlohmann::json::parse(R"({"b": 1, "a": {"y": 2, "x": [1, 2]}})");
  auto b = nlohmann::json::parse(R"({"a": {"x": [1, 2], "y": 2}, "b": 1})");
  EXPECT_EQ(ContentHash(a), ContentHash(b));
  EXPECT_NE(ContentHash(a), ContentHash(nlohmann::json::parse(R"({"b": 2})")));
  Blob blob = MakeBlob("host", a);
  EXPECT_EQ(blob.hash, ContentHash(a));
  EXPECT_EQ(blob.kind, "host");
}

TEST(Software, PythonNames) {
  EXPECT_TRUE(internal::IsPythonName("python"));
  EXPECT_TRUE(internal::IsPythonName("python3"));
  EXPECT_TRUE(internal::IsPythonName("python3.11"));
  EXPECT_FALSE(internal::IsPythonName("python3-config"));
  EXPECT_FALSE(internal::IsPythonName("ipython"));
  EXPECT_FALSE(internal::IsPythonName("bash"));
}

TEST(Software, PythonPackagesOfThatInterpreterCached) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  Capturer capturer;
  auto sw = capturer.CaptureSoftware({"/usr/bin/python3", "train.py"}, {});
  ASSERT_TRUE(sw["python"].is_object()) << sw.dump();
  ASSERT_FALSE(sw["python"].contains("error")) << sw["python"].dump();
  EXPECT_EQ(sw["python"]["version"].get<std::string>().rfind("3.", 0), 0u);
  const auto& pkgs = sw["python"]["packages"];
  ASSERT_TRUE(pkgs.is_object());
  EXPECT_GT(pkgs.size(), 0u);
  auto again = capturer.CaptureSoftware({"/usr/bin/python3", "other.py"}, {});
  EXPECT_EQ(capturer.stats().python_probes, 1);  // cached per interpreter
  EXPECT_EQ(ContentHash(again), ContentHash(sw));

  // find_spec locates torch without importing it (an import takes seconds).
  auto torch = internal::RunCommand(
      {"/usr/bin/python3", "-c",
       "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('torch') else 1)"});
  if (!torch.ok() || !torch->ok()) GTEST_SKIP() << "torch is not installed for /usr/bin/python3";
  EXPECT_TRUE(pkgs.contains("torch")) << "torch importable but not listed";
}

// The probe runs without the trial protocol's variables: a trial's end
// sweeps up the processes that carry them, and once killed a short trial's
// probe (every later trial then recorded python "?"). A failed probe is
// not cached: the next trial probes again.
TEST(Software, TheProbeIsNotPartOfTheTrialAndAFailureIsNotKept) {
  auto dir = testing::MakeTempDir("cairn-py-marks");
  testing::WriteScript(dir / "python3",
                       "if [ -n \"$CAIRN_TRIAL_ID$CAIRN_TRIAL_DIR\" ]; then echo marked >&2; exit 7; fi\n"
                       "if [ ! -e " + (dir / "second").string() + " ]; then : > " + (dir / "second").string() +
                           "; echo flaky >&2; exit 3; fi\n"
                       "echo '{\"executable\": \"fake\", \"version\": \"3.99.0\", \"prefix\": \"/fake\", "
                       "\"packages\": {}}'\n");
  Capturer capturer;
  const std::map<std::string, std::string> env = {
      {"PATH", dir.string()}, {"CAIRN_TRIAL_ID", "5"}, {"CAIRN_TRIAL_DIR", (dir / "t5").string()}};
  auto first = capturer.CaptureSoftware({"python3", "x.py"}, env);
  EXPECT_EQ(first["python"].value("error", ""), "exit 3: flaky") << first["python"].dump();
  auto second = capturer.CaptureSoftware({"python3", "x.py"}, env);
  EXPECT_FALSE(second["python"].contains("error")) << second["python"].dump();
  EXPECT_EQ(second["python"]["version"], "3.99.0");
  EXPECT_EQ(capturer.stats().python_probes, 2);
  capturer.CaptureSoftware({"python3", "y.py"}, env);
  EXPECT_EQ(capturer.stats().python_probes, 2) << "a success is kept";
  std::filesystem::remove_all(dir);
}

TEST(Software, PythonFoundOnTheTrialsPath) {
  // A fake "python3" first on the trial's PATH: its packages are the ones recorded.
  auto dir = testing::MakeTempDir("cairn-py");
  testing::WriteScript(dir / "python3",
                       "echo '{\"executable\": \"fake\", \"version\": \"3.99.0\", "
                       "\"prefix\": \"/fake\", \"packages\": {\"fakepkg\": \"1.2\"}}'\n");
  Capturer capturer;
  auto sw = capturer.CaptureSoftware({"python3", "x.py"}, {{"PATH", dir.string()}});
  EXPECT_EQ(sw["python"]["version"], "3.99.0");
  EXPECT_EQ(sw["python"]["packages"]["fakepkg"], "1.2");
  std::filesystem::remove_all(dir);
}

TEST(Software, NotPythonHasNoPythonButDebianAndConda) {
  Capturer capturer;
  auto sw = capturer.CaptureSoftware(
      {"/bin/sh", "run.sh"}, {{"CONDA_PREFIX", "/opt/conda/envs/x"}, {"CONDA_DEFAULT_ENV", "x"}});
  EXPECT_TRUE(sw["python"].is_null());
  EXPECT_EQ(sw["conda"]["name"], "x");
  EXPECT_EQ(sw["conda"]["prefix"], "/opt/conda/envs/x");
  if (internal::FindProgram("dpkg-query")) {
    EXPECT_TRUE(sw["debian"].contains("libc6")) << sw["debian"].dump();
  }
  capturer.CaptureSoftware({"/bin/sh"}, {});
  EXPECT_LE(capturer.stats().dpkg_queries, 1);
}

}  // namespace
}  // namespace cairn
