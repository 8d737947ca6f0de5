#include <algorithm>
#include <array>
#include <cctype>

#include "cairn/capture.h"

namespace cairn {

bool IsSecretName(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kWords = {
      "TOKEN", "SECRET", "KEY", "PASSWORD", "CREDENTIAL", "PASSWD", "AUTH"};
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view w) { return upper.find(w) != std::string::npos; });
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
