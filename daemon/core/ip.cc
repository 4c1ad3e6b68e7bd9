#include "core/ip.h"

#include <algorithm>
#include <charconv>

namespace lbd {
namespace {

constexpr uint128 kAllOnes128 = ~uint128{0};

uint128 familyMax(IpFamily family) {
  return family == IpFamily::V4 ? uint128{0xFFFFFFFFu} : kAllOnes128;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

Result<std::uint32_t> parseV4(std::string_view text, std::string_view whole) {
  std::uint32_t value = 0;
  int octets = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = text.find('.', pos);
    const std::string_view part =
        text.substr(pos, dot == std::string_view::npos ? text.npos : dot - pos);
    ++octets;
    if (octets > 4) return fail(quoted(whole) + " is not a valid IP address: more than 4 octets");
    if (part.empty()) {
      return fail(quoted(whole) + " is not a valid IP address: octet " + std::to_string(octets) +
                  " is empty");
    }
    if (part.size() > 1 && part.front() == '0') {
      return fail(quoted(whole) + " is not a valid IP address: octet " + std::to_string(octets) +
                  " has a leading zero");
    }
    unsigned octet = 0;
    for (char c : part) {
      if (c < '0' || c > '9') {
        return fail(quoted(whole) + " is not a valid IP address: octet " + std::to_string(octets) +
                    " is not a decimal number");
      }
      octet = octet * 10 + static_cast<unsigned>(c - '0');
      if (octet > 255) {
        return fail(quoted(whole) + " is not a valid IP address: octet " + std::to_string(octets) +
                    " is greater than 255");
      }
    }
    value = (value << 8) | octet;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (octets != 4) {
    return fail(quoted(whole) + " is not a valid IP address: " + std::to_string(octets) +
                " octets instead of 4");
  }
  return value;
}

Result<std::array<std::uint8_t, 16>> parseV6(std::string_view text, std::string_view whole) {
  auto bad = [&](const std::string& why) -> Unexpected<Error> {
    return fail(quoted(whole) + " is not a valid IP address: " + why);
  };
  std::array<std::uint16_t, 8> groups{};
  int count = 0;         // groups written
  int compress_at = -1;  // index in groups where "::" stands
  std::size_t pos = 0;
  if (text.substr(0, 2) == "::") {
    compress_at = 0;
    pos = 2;
    if (text.size() == 2) return std::array<std::uint8_t, 16>{};
  } else if (!text.empty() && text.front() == ':') {
    return bad("it starts with a single ':'");
  }
  while (pos <= text.size()) {
    const std::size_t colon = text.find(':', pos);
    const std::string_view part =
        text.substr(pos, colon == std::string_view::npos ? text.npos : colon - pos);
    if (part.empty()) return bad("an empty group");
    if (part.find('.') != std::string_view::npos) {
      // Embedded IPv4 (RFC 4291 2.2 form 3): only as the last 32 bits.
      if (colon != std::string_view::npos) return bad("an embedded IPv4 address must come last");
      if (count > 6) return bad("too many groups");
      auto v4 = parseV4(part, whole);
      if (!v4) return Unexpected{v4.error()};
      groups[count++] = static_cast<std::uint16_t>(v4.value() >> 16);
      groups[count++] = static_cast<std::uint16_t>(v4.value() & 0xFFFF);
      break;
    }
    if (part.size() > 4) return bad("group " + quoted(part) + " has more than 4 hex digits");
    unsigned value = 0;
    for (char c : part) {
      int digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return bad("unexpected character '" + std::string(1, c) + "'");
      value = value * 16 + static_cast<unsigned>(digit);
    }
    if (count >= 8) return bad("more than 8 groups");
    groups[count++] = static_cast<std::uint16_t>(value);
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
    if (pos < text.size() && text[pos] == ':') {
      if (compress_at >= 0) return bad("more than one \"::\"");
      compress_at = count;
      ++pos;
      if (pos == text.size()) break;
    } else if (pos == text.size()) {
      return bad("it ends with a single ':'");
    }
  }
  std::array<std::uint16_t, 8> full{};
  if (compress_at >= 0) {
    if (count > 7) return bad("\"::\" must stand for at least one group");
    const int tail = count - compress_at;
    std::copy(groups.begin(), groups.begin() + compress_at, full.begin());
    std::copy(groups.begin() + compress_at, groups.begin() + count, full.end() - tail);
  } else {
    if (count != 8) return bad(std::to_string(count) + " groups instead of 8");
    full = groups;
  }
  std::array<std::uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[2 * i] = static_cast<std::uint8_t>(full[i] >> 8);
    bytes[2 * i + 1] = static_cast<std::uint8_t>(full[i] & 0xFF);
  }
  return bytes;
}

std::string decimal(uint128 value) {
  if (value == 0) return "0";
  std::string digits;
  while (value > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

uint128 hostMask(IpFamily family, unsigned length) {
  const unsigned bits = family == IpFamily::V4 ? 32 : 128;
  if (length >= bits) return 0;
  const unsigned host_bits = bits - length;
  return host_bits >= 128 ? kAllOnes128 : ((uint128{1} << host_bits) - 1);
}

}  // namespace

std::string_view toString(IpFamily family) {
  return family == IpFamily::V4 ? "ipv4" : "ipv6";
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
  return IpAddress(IpFamily::V4, host_order);
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& network_order) {
  uint128 value = 0;
  for (auto byte : network_order)
    value = (value << 8) | byte;
  return IpAddress(IpFamily::V6, value);
}

IpAddress IpAddress::fromInteger(IpFamily family, uint128 value) {
  return IpAddress(family, value & familyMax(family));
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) return fail("\"\" is not a valid IP address: it is empty");
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '[' || c == ']' || c == '/') {
      return fail(quoted(text) + " is not a valid IP address: unexpected character '" +
                  std::string(1, c) + "'");
    }
  }
  if (text.find(':') != std::string_view::npos) {
    if (text.find('%') != std::string_view::npos) {
      return fail(quoted(text) +
                  " is not a valid IP address: zone indexes (\"%...\") are not allowed");
    }
    auto bytes = parseV6(text, text);
    if (!bytes) return Unexpected{bytes.error()};
    return IpAddress::v6(bytes.value());
  }
  auto value = parseV4(text, text);
  if (!value) return Unexpected{value.error()};
  return IpAddress::v4(value.value());
}

std::vector<std::uint8_t> IpAddress::bytes() const {
  const unsigned count = isV4() ? 4 : 16;
  std::vector<std::uint8_t> out(count);
  for (unsigned i = 0; i < count; ++i) {
    out[count - 1 - i] = static_cast<std::uint8_t>((value_ >> (8 * i)) & 0xFF);
  }
  return out;
}

std::string IpAddress::toString() const {
  if (isV4()) {
    const auto v = static_cast<std::uint32_t>(value_);
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xFF) + "." +
           std::to_string((v >> 8) & 0xFF) + "." + std::to_string(v & 0xFF);
  }
  std::array<std::uint16_t, 8> groups{};
  for (int i = 0; i < 8; ++i) {
    groups[7 - i] = static_cast<std::uint16_t>((value_ >> (16 * i)) & 0xFFFF);
  }
  // IPv4-mapped addresses (::ffff:a.b.c.d) keep their dotted tail (RFC 5952 section 5).
  if (groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 && groups[4] == 0 &&
      groups[5] == 0xFFFF) {
    return "::ffff:" + IpAddress::v4(static_cast<std::uint32_t>(value_ & 0xFFFFFFFFu)).toString();
  }
  const auto [best_start, best_length] = longestZeroRun(groups);
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [](std::uint16_t group) {
    std::string text;
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int digit = (group >> shift) & 0xF;
      if (digit != 0 || started || shift == 0) {
        text.push_back(kHex[digit]);
        started = true;
      }
    }
    return text;
  };
  std::string text;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      text += "::";
      i += best_length - 1;
      continue;
    }
    if (!text.empty() && text.back() != ':') text += ':';
    text += hex(groups[i]);
  }
  return text;
}

std::optional<IpAddress> IpAddress::next() const {
  if (value_ == familyMax(family_)) return std::nullopt;
  return IpAddress(family_, value_ + 1);
}

std::optional<IpAddress> IpAddress::previous() const {
  if (value_ == 0) return std::nullopt;
  return IpAddress(family_, value_ - 1);
}

// --- AddressCount ---------------------------------------------------------------------------

std::optional<uint128> AddressCount::toInteger() const {
  if (full_) return std::nullopt;
  return low_;
}

std::uint64_t AddressCount::saturatedU64() const {
  if (full_ || low_ > uint128{UINT64_MAX}) return UINT64_MAX;
  return static_cast<std::uint64_t>(low_);
}

double AddressCount::toDouble() const {
  if (full_) return 340282366920938463463374607431768211456.0;
  return static_cast<double>(low_);
}

std::string AddressCount::toString() const {
  if (full_) return "340282366920938463463374607431768211456";
  return decimal(low_);
}

AddressCount AddressCount::operator+(const AddressCount& other) const {
  if (full_ || other.full_) return twoToThe128();
  const uint128 sum = low_ + other.low_;
  if (sum < low_) return twoToThe128();  // wrapped: the true sum is >= 2^128, saturate
  return AddressCount(sum);
}

AddressCount AddressCount::operator-(const AddressCount& other) const {
  if (other.full_) return AddressCount();
  if (full_) return AddressCount(kAllOnes128 - other.low_ + 1);  // 2^128 - x, x >= 0
  if (other.low_ >= low_) return AddressCount();
  return AddressCount(low_ - other.low_);
}

std::strong_ordering AddressCount::operator<=>(const AddressCount& other) const {
  if (full_ != other.full_)
    return full_ ? std::strong_ordering::greater : std::strong_ordering::less;
  return low_ <=> other.low_;
}

// --- IpPrefix -------------------------------------------------------------------------------

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail(quoted(text) + " is not a prefix: no \"/LENGTH\"");
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return Unexpected{address.error()};
  const std::string_view length_text = text.substr(slash + 1);
  unsigned length = 0;
  const bool digits_only = !length_text.empty() && length_text.size() <= 3 &&
                           std::all_of(length_text.begin(), length_text.end(),
                                       [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || (length_text.size() > 1 && length_text.front() == '0')) {
    return fail(quoted(text) + " is not a valid prefix: length " + quoted(length_text) +
                " is not a decimal number");
  }
  std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  if (length > address->bits()) {
    return fail(quoted(text) + " is not a valid prefix: length " + std::to_string(length) +
                " is longer than " + std::to_string(address->bits()) + " bits");
  }
  const IpPrefix prefix = containing(address.value(), length);
  if (prefix.network() != address.value()) {
    return fail(std::string(text) + " has host bits set (did you mean " + prefix.toString() + "?)");
  }
  return prefix;
}

IpPrefix IpPrefix::containing(const IpAddress& address, unsigned length) {
  IpPrefix prefix;
  prefix.length_ = std::min(length, address.bits());
  prefix.network_ = IpAddress::fromInteger(
      address.family(), address.toInteger() & ~hostMask(address.family(), prefix.length_));
  return prefix;
}

IpAddress IpPrefix::last() const {
  return IpAddress::fromInteger(family(), network_.toInteger() | hostMask(family(), length_));
}

AddressCount IpPrefix::size() const {
  const unsigned host_bits = network_.bits() - length_;
  if (host_bits == 128) return AddressCount::twoToThe128();
  return AddressCount(uint128{1} << host_bits);
}

bool IpPrefix::contains(const IpAddress& address) const {
  return address.family() == family() && address >= first() && address <= last();
}

std::string IpPrefix::toString() const {
  return network_.toString() + "/" + std::to_string(length_);
}

// --- IpRange --------------------------------------------------------------------------------

Result<IpRange> IpRange::create(const IpAddress& first, const IpAddress& last) {
  if (first.family() != last.family()) {
    return fail("range " + first.toString() + "-" + last.toString() + " mixes IPv4 and IPv6");
  }
  if (first > last) {
    return fail("range " + first.toString() + "-" + last.toString() +
                " is reversed: the first address is greater than the last");
  }
  return IpRange(first, last);
}

Result<IpRange> IpRange::parse(std::string_view text) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ')
      s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
      s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    auto first = IpAddress::parse(trim(text.substr(0, dash)));
    if (!first) return Unexpected{first.error()};
    auto last = IpAddress::parse(trim(text.substr(dash + 1)));
    if (!last) return Unexpected{last.error()};
    return create(first.value(), last.value());
  }
  if (text.find('/') != std::string_view::npos) {
    auto prefix = IpPrefix::parse(text);
    if (!prefix) return Unexpected{prefix.error()};
    return fromPrefix(prefix.value());
  }
  auto single_address = IpAddress::parse(text);
  if (!single_address) return Unexpected{single_address.error()};
  return single(single_address.value());
}

AddressCount IpRange::size() const {
  const uint128 span = last_.toInteger() - first_.toInteger();
  if (span == kAllOnes128) return AddressCount::twoToThe128();
  return AddressCount(span + 1);
}

bool IpRange::contains(const IpAddress& address) const {
  return address.family() == family() && address >= first_ && address <= last_;
}

bool IpRange::overlaps(const IpRange& other) const {
  return family() == other.family() && first_ <= other.last_ && other.first_ <= last_;
}

std::optional<IpAddress> IpRange::at(uint128 index) const {
  if (index > last_.toInteger() - first_.toInteger()) return std::nullopt;
  return IpAddress::fromInteger(family(), first_.toInteger() + index);
}

std::string IpRange::toString() const {
  if (first_ == last_) return first_.toString();
  const uint128 span = last_.toInteger() - first_.toInteger();
  // A prefix: the span is 2^k - 1 and the first address is aligned to it.
  if ((span & (span + 1)) == 0 && (first_.toInteger() & span) == 0) {
    unsigned host_bits = 0;
    for (uint128 s = span; s != 0; s >>= 1)
      ++host_bits;
    return IpPrefix::containing(first_, first_.bits() - host_bits).toString();
  }
  return first_.toString() + "-" + last_.toString();
}

// --- IpRangeSet -----------------------------------------------------------------------------

void IpRangeSet::add(const IpRange& range) {
  IpAddress first = range.first();
  IpAddress last = range.last();
  std::vector<IpRange> merged;
  merged.reserve(ranges_.size() + 1);
  bool placed = false;
  for (const auto& existing : ranges_) {
    const bool same_family = existing.family() == range.family();
    // Adjacent counts as touching: 192.0.2.0-192.0.2.9 + 192.0.2.10-... become one range.
    const bool touches = same_family &&
                         !(existing.last() < first && existing.last().next() != first) &&
                         !(last < existing.first() && last.next() != existing.first());
    if (touches) {
      first = std::min(first, existing.first());
      last = std::max(last, existing.last());
      continue;
    }
    if (!placed && last < existing.first()) {
      merged.push_back(IpRange::create(first, last).value());
      placed = true;
    }
    merged.push_back(existing);
  }
  if (!placed) merged.push_back(IpRange::create(first, last).value());
  std::sort(merged.begin(), merged.end());
  ranges_ = std::move(merged);
}

void IpRangeSet::remove(const IpRange& range) {
  std::vector<IpRange> kept;
  for (const auto& existing : ranges_) {
    if (!existing.overlaps(range)) {
      kept.push_back(existing);
      continue;
    }
    if (existing.first() < range.first()) {
      kept.push_back(IpRange::create(existing.first(), *range.first().previous()).value());
    }
    if (range.last() < existing.last()) {
      kept.push_back(IpRange::create(*range.last().next(), existing.last()).value());
    }
  }
  ranges_ = std::move(kept);
}

AddressCount IpRangeSet::size() const {
  AddressCount total;
  for (const auto& range : ranges_)
    total = total + range.size();
  return total;
}

AddressCount IpRangeSet::size(IpFamily family) const {
  AddressCount total;
  for (const auto& range : ranges_) {
    if (range.family() == family) total = total + range.size();
  }
  return total;
}

bool IpRangeSet::hasFamily(IpFamily family) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [family](const IpRange& r) { return r.family() == family; });
}

bool IpRangeSet::contains(const IpAddress& address) const {
  // First range whose last address is >= address; it contains the address if it starts <= it.
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), address,
                             [](const IpRange& r, const IpAddress& a) { return r.last() < a; });
  return it != ranges_.end() && it->contains(address);
}

bool IpRangeSet::overlaps(const IpRange& range) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&range](const IpRange& r) { return r.overlaps(range); });
}

bool IpRangeSet::overlaps(const IpRangeSet& other) const {
  return std::any_of(other.ranges_.begin(), other.ranges_.end(),
                     [this](const IpRange& r) { return overlaps(r); });
}

std::optional<IpAddress> IpRangeSet::firstAtOrAfter(const IpAddress& from) const {
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), from,
                             [](const IpRange& r, const IpAddress& a) { return r.last() < a; });
  if (it == ranges_.end() || it->family() != from.family()) return std::nullopt;
  return std::max(from, it->first());
}

std::optional<IpAddress> IpRangeSet::first(IpFamily family) const {
  for (const auto& range : ranges_) {
    if (range.family() == family) return range.first();
  }
  return std::nullopt;
}

IpRangeSet::Iterator::Iterator(const std::vector<IpRange>* ranges, std::size_t index)
    : ranges_(ranges), index_(index) {
  if (ranges_ && index_ < ranges_->size()) current_ = (*ranges_)[index_].first();
}

IpRangeSet::Iterator& IpRangeSet::Iterator::operator++() {
  const IpRange& range = (*ranges_)[index_];
  if (current_ == range.last()) {
    ++index_;
    if (index_ < ranges_->size()) current_ = (*ranges_)[index_].first();
  } else {
    current_ = *current_.next();
  }
  return *this;
}

bool IpRangeSet::Iterator::operator==(const Iterator& other) const {
  const bool at_end = !ranges_ || index_ >= ranges_->size();
  const bool other_at_end = !other.ranges_ || other.index_ >= other.ranges_->size();
  if (at_end || other_at_end) return at_end == other_at_end;
  return index_ == other.index_ && current_ == other.current_;
}

IpRangeSet::Iterator IpRangeSet::begin() const {
  return Iterator(&ranges_, 0);
}
IpRangeSet::Iterator IpRangeSet::end() const {
  return Iterator(&ranges_, ranges_.size());
}

std::pair<int, int> longestZeroRun(const std::array<std::uint16_t, 8>& groups) {
  int best_start = -1, best_length = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0)
      ++j;
    if (j - i > best_length && j - i >= 2) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  return {best_start, best_length};
}

}  // namespace lbd
