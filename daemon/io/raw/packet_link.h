#pragma once
// The narrow seam between lbd's ARP/NDP responder and the kernel: one link-layer endpoint on
// one Ethernet interface that hands over received frames and sends whole frames. PacketSocket
// is the AF_PACKET implementation; tests stand in for it to drive NeighborResponder without
// privileges or a network (Kea's PktFilter does the same for DHCP).

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/mac_address.h"
#include "core/result.h"

namespace lbd::raw {

class PacketLink {
 public:
  using FrameHandler = std::function<void(std::span<const std::uint8_t> frame)>;
  using ErrorHandler = std::function<void(const Error& error)>;

  virtual ~PacketLink() = default;

  virtual const std::string& interfaceName() const = 0;
  /// The interface's hardware address (read when the link was opened).
  virtual const MacAddress& mac() const = 0;
  /// Delivers every received frame to `on_frame` from the event loop. `on_error` is called
  /// once if reception ends (the interface was deleted); the link must then be reopened.
  virtual void start(FrameHandler on_frame, ErrorHandler on_error) = 0;
  /// Sends one whole Ethernet frame now, without blocking; fails rather than waits when the
  /// interface's queue is full (a lost reply is retried by its requester).
  virtual Result<void> send(std::span<const std::uint8_t> frame) = 0;
  /// Asks the interface to deliver frames for an Ethernet multicast group (the NIC filters
  /// unjoined groups out) and stops it again. The kernel counts memberships per socket.
  virtual Result<void> joinMulticast(const MacAddress& group) = 0;
  virtual Result<void> leaveMulticast(const MacAddress& group) = 0;
};

}  // namespace lbd::raw
