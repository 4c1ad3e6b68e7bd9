// Fuzzes the BGP decoder with what a peer (or anything that reaches port 179) can send: a byte
// stream split into messages as the session does it, decoded under each session shape (2- or
// 4-octet AS, internal or external). Checks: nothing crashes; what decodes cleanly encodes back
// to the same value; every NOTIFICATION can be described.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "core/bgp/codec.h"

namespace {

using namespace lbd::bgp;

void check(bool condition) {
  if (!condition) std::abort();
}

void roundTrip(const DecodedMessage& decoded, const CodecOptions& options) {
  if (const auto* open = std::get_if<OpenMessage>(&decoded.message)) {
    OpenMessage known = *open;
    known.capabilities.unknown.clear();  // not re-sent: lbd only offers what it speaks
    std::vector<std::uint8_t> bytes;
    encodeOpen(known, bytes);
    auto again = decodeMessage(bytes, options);
    check(again.ok() && std::get<OpenMessage>(again->message) == known);
  } else if (const auto* update = std::get_if<UpdateMessage>(&decoded.message)) {
    if (decoded.update_action != UpdateErrorAction::None) return;
    UpdateMessage known = *update;
    known.attributes.unknown.clear();
    std::vector<std::uint8_t> bytes;
    if (!encodeUpdate(known, options, bytes).ok()) return;  // may outgrow 4096 (AS4_PATH)
    auto again = decodeMessage(bytes, options);
    check(again.ok() && again->update_action == UpdateErrorAction::None);
    check(std::get<UpdateMessage>(again->message) == known);
    (void)known.endOfRib();
  } else if (const auto* notification = std::get_if<NotificationMessage>(&decoded.message)) {
    check(!notification->describe().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the session shape; the rest is the stream.
  const CodecOptions options{(data[0] & 1) == 0, (data[0] & 2) != 0};
  std::span<const std::uint8_t> stream(data + 1, size - 1);
  while (!stream.empty()) {
    auto framed = frameLength(stream);
    if (!framed.ok()) {
      check(!framed.error().describe().empty());
      return 0;  // the session would send this NOTIFICATION and close
    }
    if (!framed->has_value()) return 0;  // would wait for more bytes
    const std::size_t length = **framed;
    check(length >= kHeaderSize && length <= kMaxMessageSize && length <= stream.size());
    auto decoded = decodeMessage(stream.first(length), options);
    if (decoded.ok()) {
      roundTrip(*decoded, options);
    } else {
      check(!decoded.error().describe().empty());
    }
    stream = stream.subspan(length);
  }
  return 0;
}
