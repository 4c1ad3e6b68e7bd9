#pragma once
// Reads the frames of a classic libpcap capture file (what `tcpdump -w` writes) for tests that
// replay real traffic. Ethernet link type only; fails the calling test on anything else.

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lbd::testing {

using Frame = std::vector<std::uint8_t>;

inline std::vector<Frame> readPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  std::vector<Frame> frames;
  if (bytes.size() < 24) {
    ADD_FAILURE() << path << ": no pcap header";
    return frames;
  }
  // Magic 0xa1b2c3d4 (microseconds) or 0xa1b23c4d (nanoseconds), in the writer's byte order.
  const auto u32 = [&](std::size_t at, bool swap) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const std::uint32_t b = bytes[at + static_cast<std::size_t>(swap ? 3 - i : i)];
      v |= b << (8 * i);
    }
    return v;
  };
  const std::uint32_t magic = u32(0, false);
  const bool swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
  if (!swap && magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
    ADD_FAILURE() << path << ": not a pcap file";
    return frames;
  }
  if (u32(20, swap) != 1) {
    ADD_FAILURE() << path << ": link type " << u32(20, swap) << ", expected Ethernet (1)";
    return frames;
  }
  std::size_t at = 24;
  while (at + 16 <= bytes.size()) {
    const std::size_t length = u32(at + 8, swap);
    at += 16;
    if (at + length > bytes.size()) {
      ADD_FAILURE() << path << ": record truncated";
      break;
    }
    frames.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                        bytes.begin() + static_cast<std::ptrdiff_t>(at + length));
    at += length;
  }
  return frames;
}

/// readPcap of a file under tests/data/l2.
inline std::vector<Frame> l2Capture(const std::string& name) {
  return readPcap(std::string(LBD_TEST_DATA) + "/l2/" + name);
}

}  // namespace lbd::testing
