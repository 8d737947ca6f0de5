#include "cairn/hash.h"

#include <gtest/gtest.h>

#include "support/paths.h"

namespace cairn {
namespace {

TEST(HashTest, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, FileMatchesString) {
  auto dir = testing::MakeTempDir("cairn-hash");
  testing::WriteFile(dir / "f.txt", "abc");
  auto h = Sha256File(dir / "f.txt");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(*h, Sha256Hex("abc"));
  EXPECT_FALSE(Sha256File(dir / "missing").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn
