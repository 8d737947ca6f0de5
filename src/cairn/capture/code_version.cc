// The code version of a folder: what git knows about it, asked with argv
// (no shell) and a timeout. Nothing here fails: a folder outside a work tree
// is recorded as such.
#include <algorithm>
#include <cctype>
#include <string>

#include "cairn/capture.h"
#include "cairn/gpu/run_command.h"
#include "cairn/hash.h"
#include "cairn/split.h"

namespace cairn {
namespace {

using internal::CommandOptions;
using internal::RunCommand;

// Runs `git args...` in `dir`; the output, or nullopt when git fails.
std::optional<std::string> Git(const std::filesystem::path& dir, std::vector<std::string> args,
                               double timeout_s) {
  args.insert(args.begin(), "git");
  CommandOptions opts{.cwd = dir.string(),
                      // C messages; never prompt for credentials; never take
                      // the index lock the user's own git may need.
                      .env = {{"LC_ALL", "C"},
                              {"GIT_TERMINAL_PROMPT", "0"},
                              {"GIT_OPTIONAL_LOCKS", "0"}},
                      .timeout_s = timeout_s};
  auto r = RunCommand(args, opts);
  if (!r.ok() || !r->ok()) return std::nullopt;
  return r->out;
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// git's -z lists: names ended by NUL; no empty ones.
std::vector<std::string> SplitNul(const std::string& s) {
  std::vector<std::string> out;
  for (std::string_view name : SplitView(s, '\0')) {
    if (!name.empty()) out.emplace_back(name);
  }
  return out;
}

// The URL of "origin", else of the first remote; empty when none.
std::string RemoteUrl(const std::filesystem::path& root, double timeout_s) {
  auto remotes = Git(root, {"remote"}, timeout_s);
  if (!remotes || remotes->empty()) return "";
  std::string name = FirstLine(*remotes);
  if (remotes->find("origin\n") == 0 || remotes->find("\norigin\n") != std::string::npos) {
    name = "origin";
  }
  auto url = Git(root, {"remote", "get-url", name}, timeout_s);
  return url ? StripUrlCredentials(FirstLine(*url)) : "";
}

// "a=1&token=x&sig=y" -> "a=1&token=<redacted>&sig=<redacted>": a query
// parameter named like a secret (or a signature, as in presigned URLs).
std::string RedactQuery(std::string_view query) {
  std::string out;
  bool first = true;
  for (std::string_view pair : SplitView(query, '&')) {
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool secret = IsSecretName(name) || lower == "sig" || lower.find("signature") != std::string::npos;
    if (!first) out += '&';
    first = false;
    out += eq != std::string_view::npos && secret ? std::string(name) + "=" + std::string(kRedacted) : std::string(pair);
  }
  return out;
}

// A path segment that reads like a random token, as the secret part of a
// webhook URL (hooks.slack.com/services/T0/B0/<token>,
// discord.com/api/webhooks/<id>/<token>, api.telegram.org/bot<id>:<token>):
// 20 or more letters, digits, '-', '_', ':' or '=' mixing upper case, lower
// case and digits. Words, numbers and hex digests (commit ids) do not.
bool LooksLikeToken(std::string_view segment) {
  if (segment.size() < 20) return false;
  bool upper = false, lower = false, digit = false;
  for (unsigned char c : segment) {
    if (std::isupper(c)) upper = true;
    else if (std::islower(c)) lower = true;
    else if (std::isdigit(c)) digit = true;
    else if (c != '-' && c != '_' && c != ':' && c != '=') return false;
  }
  return upper && lower && digit;
}

std::string RedactPath(std::string_view path) {
  std::string out;
  bool first = true;
  for (std::string_view segment : SplitView(path, '/')) {
    if (!first) out += '/';
    first = false;
    out += LooksLikeToken(segment) ? std::string(kRedacted) : std::string(segment);
  }
  return out;
}

}  // namespace

namespace {

// Where a URL's host starts: past its user-info when it has one. A password
// with a '/' in it ("app:ab/cd@db/prod") is not valid URL syntax but is
// written so, and must not pass for a path: an authority "user:x" whose
// "x" is no port, followed by an '@', is user-info up to that '@'.
size_t HostStart(std::string_view url, size_t authority_start) {
  const size_t authority_end = std::min(url.find_first_of("/?#", authority_start), url.size());
  const std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) return authority_start + at + 1;
  const size_t colon = authority.find(':');
  const size_t later_at = url.find('@', authority_end);
  if (colon == std::string_view::npos || later_at == std::string_view::npos || IsAllDigits(authority.substr(colon + 1))) {
    return authority_start;
  }
  return later_at + 1;
}

// One URL, no spaces in it.
std::string StripOneUrl(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t host_start = HostStart(url, scheme + 3);
  size_t path_start = url.find('/', host_start);
  std::string out(url.substr(0, scheme + 3));
  out += url.substr(host_start, path_start - host_start);
  if (path_start != std::string_view::npos) {
    std::string_view rest = url.substr(path_start);
    size_t path_end = std::min(rest.find('?'), rest.find('#'));
    out += RedactPath(rest.substr(0, path_end));
    if (path_end != std::string_view::npos) out += rest.substr(path_end);
  }
  if (size_t q = out.find('?'); q != std::string::npos) {
    size_t fragment = out.find('#', q);
    std::string tail = fragment == std::string::npos ? "" : out.substr(fragment);
    out = out.substr(0, q + 1) + RedactQuery(std::string_view(out).substr(q + 1, fragment - q - 1)) + tail;
  }
  return out;
}

}  // namespace

std::string StripUrlCredentials(std::string_view text) {
  // Every URL of the text: a value may list several (PIP_EXTRA_INDEX_URL
  // separates them with spaces, others with commas), and only the first
  // once lost its credentials.
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find_first_of(" \t\n,", i), text.size());
    out += StripOneUrl(text.substr(i, end - i));
    if (end < text.size()) out += text[end];
    i = end + 1;
  }
  return out;
}

CodeVersion CaptureCodeVersion(const std::filesystem::path& dir, double timeout_s) {
  CodeVersion code;
  auto top = Git(dir, {"rev-parse", "--show-toplevel"}, timeout_s);
  if (!top) return code;
  code.is_repo = true;
  code.root = FirstLine(*top);
  const std::filesystem::path root = code.root;
  if (auto head = Git(root, {"rev-parse", "--verify", "-q", "HEAD"}, timeout_s)) {
    code.commit = FirstLine(*head);
  }
  if (auto branch = Git(root, {"symbolic-ref", "-q", "--short", "HEAD"}, timeout_s)) {
    code.branch = FirstLine(*branch);
  }
  code.remote_url = RemoteUrl(root, timeout_s);
  if (!code.commit.empty()) {
    auto diff = Git(root, {"diff", "HEAD", "--binary", "--no-color", "--no-ext-diff"}, timeout_s);
    if (diff) code.diff = std::move(*diff);
  }
  if (!code.diff.empty()) code.diff_sha256 = Sha256Hex(code.diff);
  // Cairn's own folder (its store, the trials' folders) is no change to the code.
  if (auto others = Git(root, {"ls-files", "--others", "--exclude-standard", "-z", "--", ":(glob,exclude)**/.cairn/**"},
                        timeout_s)) {
    code.untracked = SplitNul(*others);
  }
  code.dirty = !code.diff.empty() || !code.untracked.empty();
  return code;
}

nlohmann::json CodeVersionToJson(const CodeVersion& c) {
  if (!c.is_repo) return {{"is_repo", false}};
  return {{"is_repo", true},       {"commit", c.commit},     {"branch", c.branch},
          {"remote_url", c.remote_url}, {"dirty", c.dirty}, {"diff_sha256", c.diff_sha256},
          {"untracked", c.untracked},   {"root", c.root}};
}

}  // namespace cairn
