#include "core/election/fast_heartbeat.h"

#include <algorithm>
#include <cstring>

#include "core/sha256.h"

namespace lbd::election {
namespace {

constexpr std::uint8_t kMagic[4] = {'L', 'B', 'D', 'H'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kRetiredBootsKept = 4;

void put64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint64_t get64(const std::uint8_t* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = (value << 8) | in[i];
  return value;
}

std::array<std::uint8_t, 32> tagOf(std::span<const std::uint8_t> signed_part,
                                   std::string_view key) {
  return hmacSha256(
      key, std::string_view(reinterpret_cast<const char*>(signed_part.data()), signed_part.size()));
}

}  // namespace

std::string_view toString(FastRejection rejection) {
  switch (rejection) {
    case FastRejection::Malformed:
      return "malformed";
    case FastRejection::BadTag:
      return "bad authentication tag";
    case FastRejection::Replayed:
      return "replayed";
  }
  return "?";
}

std::vector<std::uint8_t> encodeFastHeartbeat(const FastHeartbeat& beat, std::string_view key) {
  std::vector<std::uint8_t> out(std::begin(kMagic), std::end(kMagic));
  out.push_back(kVersion);
  const std::size_t length = std::min(beat.node.size(), kFastMaxNodeName);
  out.push_back(static_cast<std::uint8_t>(length));
  out.insert(out.end(), beat.node.begin(), beat.node.begin() + static_cast<std::ptrdiff_t>(length));
  put64(out, beat.boot_id);
  put64(out, beat.sequence);
  const auto tag = tagOf(out, key);
  out.insert(out.end(), tag.begin(), tag.begin() + kFastTagSize);
  return out;
}

Result<FastHeartbeat, FastRejection> decodeFastHeartbeat(std::span<const std::uint8_t> datagram,
                                                         std::string_view key) {
  constexpr std::size_t kFixed = sizeof kMagic + 2 + 8 + 8 + kFastTagSize;
  if (datagram.size() < kFixed) return Unexpected{FastRejection::Malformed};
  if (std::memcmp(datagram.data(), kMagic, sizeof kMagic) != 0 ||
      datagram[sizeof kMagic] != kVersion)
    return Unexpected{FastRejection::Malformed};
  const std::size_t length = datagram[sizeof kMagic + 1];
  if (length == 0 || length > kFastMaxNodeName || datagram.size() != kFixed + length)
    return Unexpected{FastRejection::Malformed};
  const std::size_t signed_size = datagram.size() - kFastTagSize;
  const auto expected = tagOf(datagram.first(signed_size), key);
  // Constant time: how much of a forged tag was right must not show in the timing.
  std::uint8_t difference = 0;
  for (std::size_t i = 0; i < kFastTagSize; ++i)
    difference |= static_cast<std::uint8_t>(expected[i] ^ datagram[signed_size + i]);
  if (difference != 0) return Unexpected{FastRejection::BadTag};
  FastHeartbeat beat;
  const std::uint8_t* name = datagram.data() + sizeof kMagic + 2;
  beat.node.assign(reinterpret_cast<const char*>(name), length);
  beat.boot_id = get64(name + length);
  beat.sequence = get64(name + length + 8);
  return beat;
}

void FastLiveness::configure(Duration interval, std::uint32_t misses) {
  interval_ = interval;
  misses_ = misses;
}

Result<bool, FastRejection> FastLiveness::accept(const FastHeartbeat& beat, MonotonicTime now) {
  auto it = senders_.find(beat.node);
  if (it == senders_.end()) {
    senders_.emplace(beat.node, Sender{beat.boot_id, beat.sequence, {}, now});
    return true;
  }
  Sender& sender = it->second;
  if (beat.boot_id == sender.boot_id) {
    if (beat.sequence <= sender.sequence) return Unexpected{FastRejection::Replayed};
  } else {
    // A new start of the sender, unless it is one we saw replaced.
    if (std::find(sender.retired_boots.begin(), sender.retired_boots.end(), beat.boot_id) !=
        sender.retired_boots.end())
      return Unexpected{FastRejection::Replayed};
    sender.retired_boots.push_back(sender.boot_id);
    if (sender.retired_boots.size() > kRetiredBootsKept)
      sender.retired_boots.erase(sender.retired_boots.begin());
    sender.boot_id = beat.boot_id;
  }
  const bool was_silent = now >= sender.last_heard + silence();
  sender.sequence = beat.sequence;
  sender.last_heard = now;
  return was_silent;
}

std::vector<std::pair<std::string, MonotonicTime>> FastLiveness::silent(MonotonicTime now) const {
  std::vector<std::pair<std::string, MonotonicTime>> out;
  for (const auto& [node, sender] : senders_) {
    const MonotonicTime since = sender.last_heard + silence();
    if (now >= since) out.emplace_back(node, since);
  }
  if (out.size() == senders_.size()) out.clear();  // we hear nobody: judge nobody
  return out;
}

std::optional<MonotonicTime> FastLiveness::nextSilence(MonotonicTime now) const {
  std::optional<MonotonicTime> next;
  for (const auto& [node, sender] : senders_) {
    const MonotonicTime since = sender.last_heard + silence();
    if (since > now && (!next || since < *next)) next = since;
  }
  return next;
}

void FastLiveness::forget(std::string_view node) {
  if (auto it = senders_.find(node); it != senders_.end()) senders_.erase(it);
}

std::optional<MonotonicTime> FastLiveness::lastHeard(std::string_view node) const {
  auto it = senders_.find(node);
  if (it == senders_.end()) return std::nullopt;
  return it->second.last_heard;
}

}  // namespace lbd::election
