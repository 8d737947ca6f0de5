#include <gtest/gtest.h>

#include "cairn/capture.h"
#include "support/paths.h"
#include "capture/capture_test_util.h"

namespace cairn {
namespace {

using testing::MustRun;
using testing::WriteFile;

class CodeVersionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!internal::FindProgram("git")) GTEST_SKIP() << "git is not installed";
    dir_ = testing::MakeTempDir("cairn-git");
    Git({"init", "-q", "-b", "trunk"});
    WriteFile(dir_ / "train.py", "print('hi')\n");
    WriteFile(dir_ / ".gitignore", "*.log\n");
    Git({"add", "train.py", ".gitignore"});
    Git({"commit", "-q", "-m", "first"});
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string Git(std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    return MustRun(args, dir_.string());
  }
  std::filesystem::path dir_;
};

TEST_F(CodeVersionTest, CleanRepository) {
  std::string head = Git({"rev-parse", "HEAD"});
  CodeVersion code = CaptureCodeVersion(dir_);
  ASSERT_TRUE(code.is_repo);
  EXPECT_EQ(code.commit + "\n", head);
  EXPECT_EQ(code.commit.size(), 40u);
  EXPECT_EQ(code.branch, "trunk");
  EXPECT_FALSE(code.dirty);
  EXPECT_TRUE(code.diff.empty());
  EXPECT_TRUE(code.diff_sha256.empty());
  EXPECT_TRUE(code.untracked.empty());
  EXPECT_EQ(std::filesystem::canonical(code.root), std::filesystem::canonical(dir_));
}

TEST_F(CodeVersionTest, SubfolderFindsTheRepository) {
  std::filesystem::create_directories(dir_ / "sub" / "deeper");
  CodeVersion code = CaptureCodeVersion(dir_ / "sub" / "deeper");
  EXPECT_TRUE(code.is_repo);
  EXPECT_EQ(code.branch, "trunk");
}

TEST_F(CodeVersionTest, DirtyDiffHashFollowsTheChange) {
  WriteFile(dir_ / "train.py", "print('lr=0.1')\n");
  CodeVersion a = CaptureCodeVersion(dir_);
  EXPECT_TRUE(a.dirty);
  EXPECT_NE(a.diff.find("+print('lr=0.1')"), std::string::npos);
  EXPECT_EQ(a.diff_sha256.size(), 64u);
  EXPECT_EQ(CaptureCodeVersion(dir_).diff_sha256, a.diff_sha256);  // same change, same hash

  WriteFile(dir_ / "train.py", "print('lr=0.2')\n");
  CodeVersion b = CaptureCodeVersion(dir_);
  EXPECT_TRUE(b.dirty);
  EXPECT_NE(b.diff_sha256, a.diff_sha256);
  EXPECT_EQ(b.commit, a.commit);
}

TEST_F(CodeVersionTest, StagedChangesCountAsDirty) {
  WriteFile(dir_ / "train.py", "print('staged')\n");
  Git({"add", "train.py"});
  CodeVersion code = CaptureCodeVersion(dir_);
  EXPECT_TRUE(code.dirty);
  EXPECT_NE(code.diff.find("staged"), std::string::npos);
}

TEST_F(CodeVersionTest, UntrackedFilesListedIgnoredOnesNot) {
  WriteFile(dir_ / "notes.txt", "x");
  WriteFile(dir_ / "data" / "extra.py", "y");
  WriteFile(dir_ / "run.log", "ignored");
  CodeVersion code = CaptureCodeVersion(dir_);
  EXPECT_TRUE(code.dirty);
  EXPECT_TRUE(code.diff.empty());
  EXPECT_EQ(code.untracked, (std::vector<std::string>{"data/extra.py", "notes.txt"}));
}

// Cairn's own store and trial folders, wherever `cairn run` ran in the
// work tree, do not make a clean checkout dirty.
TEST_F(CodeVersionTest, CairnsOwnFolderIsNoChange) {
  WriteFile(dir_ / ".cairn" / "cairn.db", "store");
  WriteFile(dir_ / "studies" / ".cairn" / "trials" / "0" / "stdout.log", "epoch=1");
  CodeVersion code = CaptureCodeVersion(dir_);
  EXPECT_FALSE(code.dirty);
  EXPECT_TRUE(code.untracked.empty());
}

TEST_F(CodeVersionTest, RemoteCredentialsStripped) {
  Git({"remote", "add", "upstream", "https://other.example/x.git"});
  Git({"remote", "add", "origin", "https://alice:ghp_SECRET@github.com/lab/model.git"});
  CodeVersion code = CaptureCodeVersion(dir_);
  EXPECT_EQ(code.remote_url, "https://github.com/lab/model.git");
  auto j = CodeVersionToJson(code);
  EXPECT_EQ(j.dump().find("ghp_SECRET"), std::string::npos);
  EXPECT_EQ(j["remote_url"], "https://github.com/lab/model.git");
}

TEST_F(CodeVersionTest, DetachedHeadHasNoBranch) {
  Git({"checkout", "-q", "--detach"});
  CodeVersion code = CaptureCodeVersion(dir_);
  EXPECT_TRUE(code.is_repo);
  EXPECT_TRUE(code.branch.empty());
  EXPECT_EQ(code.commit.size(), 40u);
}

TEST(CodeVersion, NotARepository) {
  auto dir = testing::MakeTempDir("cairn-norepo");
  CodeVersion code = CaptureCodeVersion(dir);
  EXPECT_FALSE(code.is_repo);
  EXPECT_EQ(CodeVersionToJson(code), (nlohmann::json{{"is_repo", false}}));
  EXPECT_FALSE(CaptureCodeVersion(dir / "missing").is_repo);
  std::filesystem::remove_all(dir);
}

TEST(StripUrlCredentials, Cases) {
  EXPECT_EQ(StripUrlCredentials("https://user:tok@host/x"), "https://host/x");
  EXPECT_EQ(StripUrlCredentials("https://tok@host:8443/a/b.git"), "https://host:8443/a/b.git");
  EXPECT_EQ(StripUrlCredentials("https://host/x@y"), "https://host/x@y");  // '@' in the path
  EXPECT_EQ(StripUrlCredentials("git@github.com:lab/x.git"), "git@github.com:lab/x.git");
  EXPECT_EQ(StripUrlCredentials("postgresql://u:p@db/cairn"), "postgresql://db/cairn");
  EXPECT_EQ(StripUrlCredentials("/local/path"), "/local/path");
  // Every URL of a value (PIP_EXTRA_INDEX_URL lists several): the second's
  // credentials once stayed.
  EXPECT_EQ(StripUrlCredentials("https://a:s1@one.example/simple https://b:s2@two.example/simple"),
            "https://one.example/simple https://two.example/simple");
  EXPECT_EQ(StripUrlCredentials("http://u:p@a,http://v:q@b"), "http://a,http://b");
  // A password with a '/' in it is user-info, not a path; a port is not.
  EXPECT_EQ(StripUrlCredentials("postgresql://app:ab/cd+ef@db.example:5432/prod"),
            "postgresql://db.example:5432/prod");
  EXPECT_EQ(StripUrlCredentials("https://host:8443/x@y"), "https://host:8443/x@y");
  // Secrets in the query: named like a secret, or a signature.
  EXPECT_EQ(StripUrlCredentials("https://h/x?a=1&access_token=abc&b=2"), "https://h/x?a=1&access_token=<redacted>&b=2");
  EXPECT_EQ(StripUrlCredentials("https://s3/b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=f00&X-Amz-Expires=60#top"),
            "https://s3/b/k?X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>&X-Amz-Expires=60#top");
  EXPECT_EQ(StripUrlCredentials("https://u:p@h/x?sig=1"), "https://h/x?sig=<redacted>");
  // Secrets in the path: a webhook's token; words, numbers and commit ids stay.
  EXPECT_EQ(StripUrlCredentials("https://hooks.slack.com/services/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"),
            "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/<redacted>");
  EXPECT_EQ(StripUrlCredentials("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/send?x=1"),
            "https://api.telegram.org/<redacted>/send?x=1");
  EXPECT_EQ(StripUrlCredentials("https://github.com/lab/repo/commit/0123456789abcdef0123456789abcdef01234567#L3"),
            "https://github.com/lab/repo/commit/0123456789abcdef0123456789abcdef01234567#L3");
  EXPECT_EQ(StripUrlCredentials("https://h/data/imagenet-train-2012-part-0007/ConfigurationFile"),
            "https://h/data/imagenet-train-2012-part-0007/ConfigurationFile");
  EXPECT_EQ(StripUrlCredentials("https://host"), "https://host");
  EXPECT_EQ(StripUrlCredentials("https://host/"), "https://host/");
  EXPECT_EQ(StripUrlCredentials("https://h/x?plain"), "https://h/x?plain");
}

}  // namespace
}  // namespace cairn
