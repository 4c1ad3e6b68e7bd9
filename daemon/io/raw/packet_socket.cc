#include "io/raw/packet_socket.h"

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/posix/descriptor_base.hpp>

namespace lbd::raw {
namespace {

// At most this many frames per wake-up, so a flood cannot starve the loop's other work: the
// descriptor stays readable and the loop comes back to it after the others had their turn.
constexpr int kFramesPerWakeup = 64;

std::string systemError(int error) {
  return std::strerror(error);
}

Unexpected<Error> failure(const std::string& interface, const std::string& what, int error) {
  return fail("Failed to " + what + " on " + interface + ": " + systemError(error));
}

}  // namespace

Result<std::unique_ptr<PacketSocket>> PacketSocket::open(boost::asio::io_context& io,
                                                         const std::string& interface) {
  if (interface.empty() || interface.size() >= IFNAMSIZ) {
    return fail("\"" + interface + "\" is not a valid interface name");
  }
  // Protocol 0: the socket receives nothing until bind() names a protocol, by which time the
  // filter is attached.
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failure(interface, "open a packet socket", errno);
  const auto close_on_error = [fd](Unexpected<Error> error) {
    ::close(fd);
    return error;
  };

  ifreq request{};
  std::memcpy(request.ifr_name, interface.c_str(), interface.size());
  if (::ioctl(fd, SIOCGIFINDEX, &request) != 0) {
    return close_on_error(failure(interface, "find the interface", errno));
  }
  const int index = request.ifr_ifindex;
  if (::ioctl(fd, SIOCGIFHWADDR, &request) != 0) {
    return close_on_error(failure(interface, "read the hardware address", errno));
  }
  if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    return close_on_error(fail(interface + " is not an Ethernet interface (ARP hardware type " +
                               std::to_string(request.ifr_hwaddr.sa_family) + ")"));
  }
  MacAddress::Bytes mac{};
  std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());

  auto program = neighborDiscoveryFilter();
  const sock_fprog filter{static_cast<unsigned short>(program.size()), program.data()};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof filter) != 0) {
    return close_on_error(failure(interface, "attach the ARP/NDP filter", errno));
  }
  // Linux >= 4.20 does not even queue our own transmissions to us; the filter drops them on
  // older kernels, so a failure here is not an error.
  const int one = 1;
  (void)::setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);

  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = index;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return close_on_error(failure(interface, "bind the packet socket", errno));
  }
  return std::unique_ptr<PacketSocket>(new PacketSocket(io, fd, interface, index, MacAddress(mac)));
}

PacketSocket::PacketSocket(boost::asio::io_context& io, int fd, std::string name, int index,
                           MacAddress mac)
    : descriptor_(io, fd), name_(std::move(name)), index_(index), mac_(mac) {}

PacketSocket::~PacketSocket() {
  *alive_ = false;
  boost::system::error_code ignored;
  descriptor_.close(ignored);
}

void PacketSocket::start(FrameHandler on_frame, ErrorHandler on_error) {
  on_frame_ = std::move(on_frame);
  on_error_ = std::move(on_error);
  waitForFrames();
}

void PacketSocket::waitForFrames() {
  descriptor_.async_wait(
      boost::asio::posix::descriptor_base::wait_read,
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& error) {
        const auto live = alive.lock();
        if (!live || !*live || error) return;
        receiveFrames();
      });
}

void PacketSocket::receiveFrames() {
  const std::weak_ptr<bool> alive = alive_;
  for (int i = 0; i < kFramesPerWakeup; ++i) {
    sockaddr_ll from{};
    socklen_t from_length = sizeof from;
    const ssize_t received =
        ::recvfrom(descriptor_.native_handle(), buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                   reinterpret_cast<sockaddr*>(&from), &from_length);
    if (received < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) break;
      // The interface went down (reported once; frames resume when it is up again) or a
      // signal interrupted us: keep listening.
      if (error == EINTR || error == ENETDOWN) continue;
      if (on_error_) on_error_(Error{"Failed to receive on " + name_ + ": " + systemError(error)});
      return;  // e.g. ENXIO/ENODEV: the interface is gone, nothing more will come
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;  // belt and braces: the filter drops them
    on_frame_(std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(received)));
    if (alive.expired()) return;  // the handler closed us
  }
  waitForFrames();
}

Result<void> PacketSocket::send(std::span<const std::uint8_t> frame) {
  if (frame.size() < 14)
    return fail("Failed to send on " + name_ + ": frame shorter than a header");
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = index_;
  to.sll_halen = MacAddress::kSize;
  std::memcpy(to.sll_addr, frame.data(), MacAddress::kSize);
  const ssize_t sent = ::sendto(descriptor_.native_handle(), frame.data(), frame.size(),
                                MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (sent < 0) return failure(name_, "send a frame", errno);
  if (static_cast<std::size_t>(sent) != frame.size()) {
    return fail("Failed to send a frame on " + name_ + ": only " + std::to_string(sent) + " of " +
                std::to_string(frame.size()) + " bytes went out");
  }
  return {};
}

Result<void> PacketSocket::membership(int option, const MacAddress& group) {
  packet_mreq request{};
  request.mr_ifindex = index_;
  request.mr_type = PACKET_MR_MULTICAST;
  request.mr_alen = MacAddress::kSize;
  std::memcpy(request.mr_address, group.bytes().data(), MacAddress::kSize);
  if (::setsockopt(descriptor_.native_handle(), SOL_PACKET, option, &request, sizeof request) !=
      0) {
    return failure(name_,
                   std::string(option == PACKET_ADD_MEMBERSHIP ? "join" : "leave") +
                       " multicast group " + group.toString(),
                   errno);
  }
  return {};
}

Result<void> PacketSocket::joinMulticast(const MacAddress& group) {
  return membership(PACKET_ADD_MEMBERSHIP, group);
}

Result<void> PacketSocket::leaveMulticast(const MacAddress& group) {
  return membership(PACKET_DROP_MEMBERSHIP, group);
}

}  // namespace lbd::raw
