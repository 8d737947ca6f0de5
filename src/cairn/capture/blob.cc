#include "cairn/capture.h"
#include "cairn/hash.h"

namespace cairn {

std::string ContentHash(const nlohmann::json& j) {
  // nlohmann::json keeps object keys in a std::map, so dump() is canonical.
  // Invalid UTF-8 (odd file names, env values) is replaced, not thrown.
  return Sha256Hex(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Blob MakeBlob(std::string kind, nlohmann::json body) {
  std::string hash = ContentHash(body);
  return Blob{std::move(hash), std::move(kind), std::move(body)};
}

}  // namespace cairn
