#include <algorithm>
#include <array>
#include <cctype>

#include "cairn/capture.h"

namespace cairn {

bool IsSecretName(std::string_view name) {
  // Anywhere in the name: PASS covers PASSWORD, PASSWD, PASSPHRASE, SSHPASS.
  static constexpr std::array<std::string_view, 7> kWords = {"TOKEN", "SECRET",     "KEY",   "PASS",
                                                             "CREDENTIAL", "AUTH", "COOKIE"};
  // As a whole word of the name (GITHUB_PAT, MYSQL_PWD): inside another word
  // they are too common (PATH, PATTERN).
  static constexpr std::array<std::string_view, 2> kWholeWords = {"PAT", "PWD"};
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (std::any_of(kWords.begin(), kWords.end(), [&](std::string_view w) { return upper.find(w) != std::string::npos; })) {
    return true;
  }
  if (upper == "PWD") return false;  // the shell's working folder
  std::string_view rest(upper);
  while (!rest.empty()) {
    size_t end = 0;
    while (end < rest.size() && std::isalnum(static_cast<unsigned char>(rest[end]))) ++end;
    if (std::find(kWholeWords.begin(), kWholeWords.end(), rest.substr(0, end)) != kWholeWords.end()) return true;
    rest.remove_prefix(std::min(rest.size(), end + 1));
  }
  return false;
}

std::string RedactEnvValue(std::string_view name, const std::string& value) {
  // A URL value may carry credentials under an innocent name
  // (DATABASE_URL=postgresql://user:pw@host/db, HTTPS_PROXY=...).
  return IsSecretName(name) ? std::string(kRedacted) : StripUrlCredentials(value);
}

std::map<std::string, std::string> RedactEnv(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : env) out[name] = RedactEnvValue(name, value);
  return out;
}

std::string RedactArgWord(std::string_view previous, const std::string& word) {
  // "--token=X"
  if (word.starts_with("-")) {
    size_t eq = word.find('=');
    if (eq != std::string::npos && IsSecretName(word.substr(0, eq))) return word.substr(0, eq + 1) + std::string(kRedacted);
    return word;
  }
  // "--api-key X"; a placeholder ("{key}") is a parameter, recorded anyway.
  if (previous.starts_with("-") && previous.find('=') == std::string_view::npos && IsSecretName(previous) &&
      word.find('{') == std::string::npos) {
    return std::string(kRedacted);
  }
  return StripUrlCredentials(word);
}

std::vector<std::string> RedactArgv(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  std::string_view previous;
  for (const std::string& word : argv) {
    out.push_back(RedactArgWord(previous, word));
    previous = word;
  }
  return out;
}

}  // namespace cairn
