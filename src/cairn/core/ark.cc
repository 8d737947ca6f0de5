#include "cairn/ark.h"

#include <cstdlib>
#include <string>

#include "cairn/hash.h"

namespace cairn {
namespace {

constexpr std::string_view kBetanumeric = "0123456789bcdfghjkmnpqrstvwxz";  // 29 characters

int Ordinal(char c) {
  auto pos = kBetanumeric.find(c);
  return pos == std::string_view::npos ? 0 : static_cast<int>(pos);
}

}  // namespace

ArkOptions ArkOptionsFromEnv() {
  ArkOptions options;
  if (const char* naan = std::getenv("CAIRN_ARK_NAAN"); naan && *naan) options.naan = naan;
  if (const char* shoulder = std::getenv("CAIRN_ARK_SHOULDER"); shoulder && *shoulder) options.shoulder = shoulder;
  return options;
}

char NoidCheckChar(std::string_view text) {
  // NOID: sum of (1-based position x ordinal), modulo the alphabet size.
  long sum = 0;
  for (size_t i = 0; i < text.size(); ++i) sum += static_cast<long>(i + 1) * Ordinal(text[i]);
  return kBetanumeric[static_cast<size_t>(sum % static_cast<long>(kBetanumeric.size()))];
}

std::string MintStudyArk(const ArkOptions& options, std::string_view seed_text) {
  std::string digest = Sha256Hex(seed_text);
  std::string name = options.shoulder;
  // Each pair of hex digits (a byte) picks one character.
  for (int i = 0; i < options.name_length; ++i) {
    int byte = std::stoi(digest.substr(static_cast<size_t>(2 * i) % 64, 2), nullptr, 16);
    name.push_back(kBetanumeric[static_cast<size_t>(byte) % kBetanumeric.size()]);
  }
  std::string base = options.naan + "/" + name;
  return "ark:/" + base + NoidCheckChar(base);
}

std::string TrialArk(std::string_view study_ark, int number) {
  return std::string(study_ark) + "/t" + std::to_string(number);
}

Status ValidateArk(std::string_view ark) {
  constexpr std::string_view kPrefix = "ark:/";
  if (ark.substr(0, kPrefix.size()) != kPrefix) {
    return InvalidArgument("identifier '" + std::string(ark) + "' does not start with ark:/");
  }
  std::string_view rest = ark.substr(kPrefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return InvalidArgument("identifier '" + std::string(ark) + "' has no NAAN/name");
  }
  auto end = rest.find('/', slash + 1);
  std::string_view base = rest.substr(0, end);  // NAAN/name with the check character
  if (base.size() < slash + 3) return InvalidArgument("identifier '" + std::string(ark) + "' has no name");
  std::string_view body = base.substr(0, base.size() - 1);
  if (NoidCheckChar(body) != base.back()) {
    return InvalidArgument("identifier '" + std::string(ark) + "' fails its check character");
  }
  return Status::Ok();
}

}  // namespace cairn
