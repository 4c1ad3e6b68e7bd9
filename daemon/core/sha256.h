#pragma once
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the configuration hash and the
// authentication of direct heartbeats. Small and dependency-free so the pure core needs no
// crypto library.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lbd {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  /// Finishes the hash; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> digest();
  std::string hexDigest();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed so far
};

/// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

/// HMAC-SHA256 of `data` under `key` (any length).
std::array<std::uint8_t, 32> hmacSha256(std::string_view key, std::string_view data);

}  // namespace lbd
