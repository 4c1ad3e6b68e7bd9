#include "core/mac_address.h"

#include <algorithm>

namespace lbd {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

MacAddress MacAddress::fromSpan(std::span<const std::uint8_t, kSize> bytes) {
  Bytes copy{};
  std::copy(bytes.begin(), bytes.end(), copy.begin());
  return MacAddress(copy);
}

Result<MacAddress> MacAddress::parse(std::string_view text) {
  // Exactly "xx:xx:xx:xx:xx:xx": 17 characters, one separator kind throughout.
  const auto bad = [&] {
    return fail("\"" + std::string(text) + "\" is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
  };
  if (text.size() != 17) return bad();
  const char separator = text[2];
  if (separator != ':' && separator != '-') return bad();
  Bytes bytes{};
  for (std::size_t i = 0; i < kSize; ++i) {
    const std::size_t at = i * 3;
    if (i > 0 && text[at - 1] != separator) return bad();
    const int high = hexValue(text[at]);
    const int low = hexValue(text[at + 1]);
    if (high < 0 || low < 0) return bad();
    bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return MacAddress(bytes);
}

std::string MacAddress::toString() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(17);
  for (std::size_t i = 0; i < kSize; ++i) {
    if (i > 0) text.push_back(':');
    text.push_back(kDigits[bytes_[i] >> 4]);
    text.push_back(kDigits[bytes_[i] & 0x0f]);
  }
  return text;
}

}  // namespace lbd
