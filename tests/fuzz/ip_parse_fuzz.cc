// Fuzzes the address parsers (config files are operator input, but a parser must survive
// anything) and checks that whatever parses prints back to text that parses to the same value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/ip.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto address = lbd::IpAddress::parse(text)) {
    auto again = lbd::IpAddress::parse(address->toString());
    if (!again || again.value() != address.value()) std::abort();
  }
  if (auto prefix = lbd::IpPrefix::parse(text)) {
    auto again = lbd::IpPrefix::parse(prefix->toString());
    if (!again || again.value() != prefix.value()) std::abort();
  }
  if (auto range = lbd::IpRange::parse(text)) {
    auto again = lbd::IpRange::parse(range->toString());
    if (!again || again.value() != range.value()) std::abort();
    lbd::IpRangeSet set;
    set.add(range.value());
    if (set.size() != range->size() || !set.contains(range->last())) std::abort();
  }
  return 0;
}
