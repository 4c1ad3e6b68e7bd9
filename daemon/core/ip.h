#pragma once
// The address model: IPv4/IPv6 addresses, prefixes, inclusive ranges and sets of ranges.
// Pure value types with exact arithmetic: an IPv6 range may hold up to 2^128 addresses, so
// sizes are AddressCount (129-bit), never a machine integer that could wrap.
// Text forms follow RFC 4291 section 2.2 on input and RFC 5952 (canonical IPv6) on output.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace lbd {

__extension__ typedef unsigned __int128 uint128;

enum class IpFamily : std::uint8_t { V4 = 4, V6 = 6 };

/// "ipv4" or "ipv6": the spelling used in config, D-Bus and lbctl.
std::string_view toString(IpFamily family);

/// One IPv4 or IPv6 address. Ordered by family (all IPv4 before all IPv6), then numerically.
class IpAddress {
 public:
  /// 0.0.0.0
  IpAddress() = default;
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(const std::array<std::uint8_t, 16>& network_order);
  /// The address whose numeric value within `family` is `value` (masked to the family width).
  static IpAddress fromInteger(IpFamily family, uint128 value);
  /// Strict parse: dotted quad (no leading zeros, no shorthand) or RFC 4291 IPv6 text (incl. an
  /// embedded dotted quad); no zone index, no brackets, no surrounding spaces.
  static Result<IpAddress> parse(std::string_view text);

  IpFamily family() const { return family_; }
  bool isV4() const { return family_ == IpFamily::V4; }
  bool isV6() const { return family_ == IpFamily::V6; }
  /// Bit width of the family: 32 or 128.
  unsigned bits() const { return isV4() ? 32 : 128; }
  /// Numeric value within the family (IPv4 uses the low 32 bits).
  uint128 toInteger() const { return value_; }
  /// Network-order bytes: 4 for IPv4, 16 for IPv6.
  std::vector<std::uint8_t> bytes() const;
  /// Dotted quad or RFC 5952 canonical IPv6 text.
  std::string toString() const;

  /// The next/previous address, or nullopt at the end/start of the family's space.
  std::optional<IpAddress> next() const;
  std::optional<IpAddress> previous() const;

  std::strong_ordering operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;

 private:
  IpAddress(IpFamily family, uint128 value) : family_(family), value_(value) {}
  IpFamily family_ = IpFamily::V4;
  uint128 value_ = 0;
};

/// A number of addresses: 0 ..= 2^128 (one more than uint128 holds, for ::/0).
class AddressCount {
 public:
  AddressCount() = default;
  AddressCount(uint128 value) : low_(value) {}  // NOLINT: implicit on purpose
  static AddressCount twoToThe128() {
    AddressCount c;
    c.full_ = true;
    return c;
  }

  bool isZero() const { return !full_ && low_ == 0; }
  /// The value, if it fits in uint128 (everything but 2^128).
  std::optional<uint128> toInteger() const;
  /// The value saturated to uint64 (for wire formats that have no wider integer).
  std::uint64_t saturatedU64() const;
  /// The value as a double (approximate above 2^53).
  double toDouble() const;
  /// Exact decimal text, e.g. "340282366920938463463374607431768211456".
  std::string toString() const;

  /// Saturating arithmetic: the result is clamped to 0 ..= 2^128.
  AddressCount operator+(const AddressCount& other) const;
  AddressCount operator-(const AddressCount& other) const;

  std::strong_ordering operator<=>(const AddressCount& other) const;
  bool operator==(const AddressCount& other) const = default;

 private:
  uint128 low_ = 0;
  bool full_ = false;  // exactly 2^128; low_ is then 0
};

/// A CIDR prefix such as 192.0.2.0/24. The address is the network address (host bits zero).
class IpPrefix {
 public:
  /// Strict parse of "ADDRESS/LENGTH": host bits must be zero ("192.0.2.1/24" is an error that
  /// suggests "192.0.2.0/24"), LENGTH is decimal without sign or leading zeros.
  static Result<IpPrefix> parse(std::string_view text);
  /// The prefix of `length` bits containing `address` (host bits cleared). length <= bits().
  static IpPrefix containing(const IpAddress& address, unsigned length);

  const IpAddress& network() const { return network_; }
  unsigned length() const { return length_; }
  IpFamily family() const { return network_.family(); }
  IpAddress first() const { return network_; }
  IpAddress last() const;
  AddressCount size() const;
  bool contains(const IpAddress& address) const;
  std::string toString() const;

  auto operator<=>(const IpPrefix&) const = default;

 private:
  IpAddress network_;
  unsigned length_ = 0;
};

/// An inclusive range first..last of one family (first <= last). A single address and a CIDR
/// prefix are ranges too.
class IpRange {
 public:
  /// Fails when the families differ or first > last.
  static Result<IpRange> create(const IpAddress& first, const IpAddress& last);
  static IpRange single(const IpAddress& address) { return IpRange(address, address); }
  static IpRange fromPrefix(const IpPrefix& prefix) {
    return IpRange(prefix.first(), prefix.last());
  }
  /// Accepts "A-B" (spaces around '-' allowed), "A/LEN" or a single address "A".
  static Result<IpRange> parse(std::string_view text);

  const IpAddress& first() const { return first_; }
  const IpAddress& last() const { return last_; }
  IpFamily family() const { return first_.family(); }
  AddressCount size() const;
  bool contains(const IpAddress& address) const;
  bool overlaps(const IpRange& other) const;
  /// The address at zero-based `index` from first, or nullopt when index >= size().
  std::optional<IpAddress> at(uint128 index) const;
  /// "A" for one address, "A/LEN" when the range is exactly a prefix, otherwise "A-B".
  std::string toString() const;

  auto operator<=>(const IpRange&) const = default;

 private:
  IpRange(const IpAddress& first, const IpAddress& last) : first_(first), last_(last) {}
  IpAddress first_;
  IpAddress last_;
};

/// A set of addresses kept as sorted, disjoint, non-adjacent ranges (adjacent and overlapping
/// ranges are merged on insert).
class IpRangeSet {
 public:
  IpRangeSet() = default;
  void add(const IpRange& range);
  /// Removes `range` from the set (splitting ranges as needed).
  void remove(const IpRange& range);

  const std::vector<IpRange>& ranges() const { return ranges_; }
  bool empty() const { return ranges_.empty(); }
  AddressCount size() const;
  AddressCount size(IpFamily family) const;
  bool hasFamily(IpFamily family) const;
  bool contains(const IpAddress& address) const;
  bool overlaps(const IpRange& range) const;
  bool overlaps(const IpRangeSet& other) const;
  /// The smallest address in the set that is >= `from` and of the same family, if any.
  std::optional<IpAddress> firstAtOrAfter(const IpAddress& from) const;
  /// The smallest address of `family` in the set.
  std::optional<IpAddress> first(IpFamily family) const;

  /// Forward iteration over every address (lazy: fine for a /64).
  class Iterator {
   public:
    using value_type = IpAddress;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    const IpAddress& operator*() const { return current_; }
    const IpAddress* operator->() const { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const Iterator& other) const;

   private:
    friend class IpRangeSet;
    Iterator(const std::vector<IpRange>* ranges, std::size_t index);
    const std::vector<IpRange>* ranges_ = nullptr;
    std::size_t index_ = 0;  // == ranges_->size() at the end
    IpAddress current_;
  };
  Iterator begin() const;
  Iterator end() const;

  bool operator==(const IpRangeSet&) const = default;

 private:
  std::vector<IpRange> ranges_;
};

/// The longest run of two or more zero 16-bit groups of an IPv6 address, the first on ties
/// (RFC 5952 section 4.2: the run "::" stands for), as (start, length); (-1, 0) when none.
std::pair<int, int> longestZeroRun(const std::array<std::uint16_t, 8>& groups);

}  // namespace lbd
