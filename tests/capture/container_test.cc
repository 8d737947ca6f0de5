#include <gtest/gtest.h>

#include "cairn/capture.h"
#include "cairn/hash.h"
#include "capture/capture_test_util.h"
#include "support/paths.h"

namespace cairn {
namespace {

std::optional<std::string> ImageOf(std::vector<std::string> argv) {
  auto ref = ParseContainerCommand(argv);
  return ref ? std::optional(ref->image) : std::nullopt;
}

TEST(ContainerCommand, Docker) {
  EXPECT_EQ(ImageOf({"docker", "run", "--rm", "-it", "-v", "/data:/data", "--gpus", "all",
                     "-e", "A=1", "--shm-size=8g", "pytorch/pytorch:2.1", "python", "t.py"}),
            "pytorch/pytorch:2.1");
  EXPECT_EQ(ImageOf({"/usr/bin/docker", "--context", "gpu", "container", "run", "img:1", "x"}),
            "img:1");
  EXPECT_EQ(ImageOf({"podman", "run", "--name", "t3", "-w", "/w", "ghcr.io/lab/x@sha256:ab"}),
            "ghcr.io/lab/x@sha256:ab");
  auto ref = ParseContainerCommand({"podman", "run", "img"});
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->tool, "podman");
  EXPECT_FALSE(ImageOf({"docker", "ps"}).has_value());
  EXPECT_FALSE(ImageOf({"docker", "run", "--rm"}).has_value());
  EXPECT_FALSE(ImageOf({"python3", "train.py"}).has_value());
  EXPECT_FALSE(ImageOf({}).has_value());
}

TEST(ContainerCommand, Apptainer) {
  EXPECT_EQ(ImageOf({"apptainer", "exec", "--nv", "-B", "/data", "env.sif", "python", "t.py"}),
            "env.sif");
  EXPECT_EQ(ImageOf({"singularity", "run", "--bind=/d", "docker://pytorch/pytorch"}),
            "docker://pytorch/pytorch");
  EXPECT_EQ(ImageOf({"apptainer", "instance", "start", "x.sif", "name"}), "x.sif");
  EXPECT_FALSE(ImageOf({"apptainer", "build", "x.sif", "x.def"}).has_value());
}

TEST(ContainerDigest, DockerInspectThroughTheTrialsPath) {
  auto dir = testing::MakeTempDir("cairn-docker");
  testing::WriteScript(dir / "docker",
                       "[ \"$1 $2 $3 $4\" = 'image inspect --format {{.Id}}' ] || exit 2\n"
                       "[ \"$5\" = 'img:1' ] && echo sha256:0123abcd && exit 0\n"
                       "echo \"Error: No such image: $5\" >&2; exit 1\n");
  Capturer capturer;
  std::map<std::string, std::string> env = {{"PATH", dir.string()}};
  auto ok = capturer.CaptureContainer({"docker", "run", "--rm", "img:1", "python"}, env);
  EXPECT_EQ(ok["tool"], "docker");
  EXPECT_EQ(ok["image"], "img:1");
  EXPECT_EQ(ok["digest"], "sha256:0123abcd");
  EXPECT_EQ(ok["digest_status"], "ok");
  capturer.CaptureContainer({"docker", "run", "img:1"}, env);
  EXPECT_EQ(capturer.stats().container_probes, 1);  // cached per image

  auto missing = capturer.CaptureContainer({"docker", "run", "nope:2"}, env);
  EXPECT_TRUE(missing["digest"].is_null());
  EXPECT_EQ(missing["digest_status"], "unknown");
  EXPECT_NE(missing["error"].get<std::string>().find("No such image"), std::string::npos);

  auto no_tool = capturer.CaptureContainer({"podman", "run", "img:1"}, env);
  EXPECT_EQ(no_tool["digest_status"], "unknown");
  EXPECT_TRUE(capturer.CaptureContainer({"python3", "x.py"}, env).is_null());
  std::filesystem::remove_all(dir);
}

TEST(ContainerDigest, SifFileHashed) {
  auto dir = testing::MakeTempDir("cairn-sif");
  testing::WriteFile(dir / "env.sif", "not really a sif");
  Capturer capturer;
  auto j = capturer.CaptureContainer({"apptainer", "exec", "env.sif", "python"}, {}, dir);
  EXPECT_EQ(j["digest_status"], "ok");
  EXPECT_EQ(j["digest"], "sha256:" + Sha256Hex("not really a sif"));
  auto remote = capturer.CaptureContainer({"apptainer", "exec", "docker://x", "python"}, {});
  EXPECT_EQ(remote["digest_status"], "unknown");
  auto absent = capturer.CaptureContainer({"apptainer", "exec", "gone.sif"}, {}, dir);
  EXPECT_EQ(absent["digest_status"], "unknown");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn
