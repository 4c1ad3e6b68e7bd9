#pragma once
// PacketLink on a Linux packet socket (packet(7)): SOCK_RAW AF_PACKET bound to one interface's
// index, with the classic BPF filter of packet_filter.h attached before the socket is bound so
// that not one unfiltered frame is queued, driven by the caller's io_context through a
// non-blocking descriptor. Needs CAP_NET_RAW. The socket lives in the network namespace of
// the thread that opens it.

#include <array>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "io/raw/packet_filter.h"
#include "io/raw/packet_link.h"

namespace lbd::raw {

class PacketSocket final : public PacketLink {
 public:
  /// Opens the socket on Ethernet interface `interface` (by name). Fails with a sentence
  /// naming the interface and the system error (no such device, not Ethernet, EPERM...).
  static Result<std::unique_ptr<PacketSocket>> open(boost::asio::io_context& io,
                                                    const std::string& interface);
  ~PacketSocket() override;
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;

  const std::string& interfaceName() const override { return name_; }
  const MacAddress& mac() const override { return mac_; }
  int interfaceIndex() const { return index_; }
  void start(FrameHandler on_frame, ErrorHandler on_error) override;
  Result<void> send(std::span<const std::uint8_t> frame) override;
  Result<void> joinMulticast(const MacAddress& group) override;
  Result<void> leaveMulticast(const MacAddress& group) override;

 private:
  PacketSocket(boost::asio::io_context& io, int fd, std::string name, int index, MacAddress mac);
  void waitForFrames();
  void receiveFrames();
  Result<void> membership(int option, const MacAddress& group);

  boost::asio::posix::stream_descriptor descriptor_;
  std::string name_;
  int index_;
  MacAddress mac_;
  FrameHandler on_frame_;
  ErrorHandler on_error_;
  std::array<std::uint8_t, kPacketSnapLength> buffer_{};
  // Handlers check it: a callback may destroy this socket, and a completed wait may still be
  // queued when it is destroyed.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lbd::raw
