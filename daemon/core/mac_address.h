#pragma once
// IEEE 802 MAC-48 addresses (Ethernet hardware addresses): a value type for the ARP/NDP codecs
// and the raw-socket responders. Text form is the Linux one (lowercase, colon-separated, as
// `ip link` prints it); the parser also takes uppercase and '-' separators (Windows' form).

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lbd {

class MacAddress {
 public:
  static constexpr std::size_t kSize = 6;
  using Bytes = std::array<std::uint8_t, kSize>;

  /// 00:00:00:00:00:00
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(const Bytes& bytes) : bytes_(bytes) {}
  /// The first kSize bytes of `bytes` (the caller checked the size).
  static MacAddress fromSpan(std::span<const std::uint8_t, kSize> bytes);
  static constexpr MacAddress broadcast() {
    return MacAddress(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  }
  /// "aa:bb:cc:dd:ee:ff" (or with '-'), hex digits of either case, exactly six octets.
  static Result<MacAddress> parse(std::string_view text);

  const Bytes& bytes() const { return bytes_; }
  bool isZero() const { return bytes_ == Bytes{}; }
  bool isBroadcast() const { return *this == broadcast(); }
  /// The I/G bit (IEEE 802 group address): multicast and broadcast. A station's own address
  /// and any frame's source address never have it.
  bool isMulticast() const { return (bytes_[0] & 0x01) != 0; }
  /// "aa:bb:cc:dd:ee:ff"
  std::string toString() const;

  auto operator<=>(const MacAddress&) const = default;

 private:
  Bytes bytes_{};
};

}  // namespace lbd
