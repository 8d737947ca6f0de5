#include "cairn/gpu/run_command.h"

#include <gtest/gtest.h>

namespace cairn::internal {
namespace {

TEST(RunCommand, CapturesOutputAndExitCode) {
  auto r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->ok());
}

TEST(RunCommand, ArgvIsNotAShell) {
  auto r = RunCommand({"echo", "$HOME", "a;b"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "$HOME a;b\n");
}

TEST(RunCommand, EnvAndCwd) {
  auto r = RunCommand({"sh", "-c", "echo $CAIRN_X; pwd"},
                      {.cwd = "/tmp", .env = {{"CAIRN_X", "hello"}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "hello\n/tmp\n");
}

TEST(RunCommand, KillsOnTimeout) {
  auto r = RunCommand({"sleep", "30"}, {.timeout_s = 0.2});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
}

TEST(RunCommand, KillsABackgroundedChildThatClosedItsOutput) {
  auto r = RunCommand({"sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, {.timeout_s = 0.3});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
}

TEST(RunCommand, MissingProgramIsNotFound) {
  auto r = RunCommand({"cairn-no-such-program-xyz"});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(FindProgram("cairn-no-such-program-xyz").has_value());
  EXPECT_TRUE(FindProgram("sh").has_value());
  EXPECT_FALSE(FindProgram("sh", "/nonexistent-dir").has_value());
}

}  // namespace
}  // namespace cairn::internal
