#pragma once
// Bounds-checked big-endian (network order) reading and writing of packet buffers, for the
// wire codecs (ARP, NDP, later BGP). A reader never reads past its span: a read that would
// overrun marks the reader failed and yields zeros, so a decoder reads a whole fixed layout
// and checks ok() once, instead of a length test before every field.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace lbd {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  /// False once any read or skip ran past the end; all later reads yield zeros/empty.
  bool ok() const { return ok_; }
  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return ok_ ? bytes_.size() - offset_ : 0; }

  std::uint8_t u8() {
    const auto b = take(1);
    return b.empty() ? 0 : b[0];
  }
  std::uint16_t u16() {
    const auto b = take(2);
    return b.empty() ? 0 : static_cast<std::uint16_t>((b[0] << 8) | b[1]);
  }
  std::uint32_t u32() {
    const auto b = take(4);
    return b.empty() ? 0
                     : (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                           (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
  }
  /// The next `count` bytes as a view into the buffer (empty and failed if fewer remain).
  std::span<const std::uint8_t> take(std::size_t count) {
    if (!ok_ || count > bytes_.size() - offset_) {
      ok_ = false;
      return {};
    }
    const auto view = bytes_.subspan(offset_, count);
    offset_ += count;
    return view;
  }
  void skip(std::size_t count) { (void)take(count); }
  /// Everything not read yet.
  std::span<const std::uint8_t> rest() { return take(remaining()); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
  bool ok_ = true;
};

/// Appends network-order fields to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) {
    out_.push_back(static_cast<std::uint8_t>(value >> 8));
    out_.push_back(static_cast<std::uint8_t>(value));
  }
  void u32(std::uint32_t value) {
    u16(static_cast<std::uint16_t>(value >> 16));
    u16(static_cast<std::uint16_t>(value));
  }
  void bytes(std::span<const std::uint8_t> data) {
    out_.insert(out_.end(), data.begin(), data.end());
  }
  void zeros(std::size_t count) { out_.insert(out_.end(), count, 0); }
  std::size_t size() const { return out_.size(); }

 private:
  std::vector<std::uint8_t>& out_;
};

}  // namespace lbd
