// Content hashes (SHA-256, hex) for identifiers, fingerprints and orders.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn {

// Lower-case hex SHA-256 digest of `data`.
std::string Sha256Hex(std::string_view data);
// Lower-case hex SHA-256 of a file's bytes, streamed (large files are fine).
Result<std::string> Sha256File(const std::filesystem::path& path);

// Incremental SHA-256 for hashing many pieces (a folder's files, say).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string HexDigest();  // finishes; call once

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace cairn
