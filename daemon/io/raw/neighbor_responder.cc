#include "io/raw/neighbor_responder.h"

#include "core/arp/arp_packet.h"
#include "core/ndp/ndp_packet.h"

namespace lbd::raw {

NeighborResponder::NeighborResponder(std::unique_ptr<PacketLink> link) : link_(std::move(link)) {}

void NeighborResponder::start() {
  link_->start([this](std::span<const std::uint8_t> frame) { handleFrame(frame); },
               [this](const Error& error) {
                 if (on_link_error_) on_link_error_(error);
               });
}

Result<void> NeighborResponder::setOwned(std::set<IpAddress> owned) {
  // Several addresses can share a group (same low 24 bits): the wanted set is derived from the
  // addresses, so a group is left only when no owned address needs it.
  std::set<MacAddress> wanted;
  for (const IpAddress& address : owned) {
    if (address.isV6()) wanted.insert(ndp::multicastMac(ndp::solicitedNodeAddress(address)));
  }
  owned_ = std::move(owned);
  Result<void> outcome;
  const auto keep_first_error = [&outcome](Result<void> result) {
    if (!result && outcome) outcome = std::move(result);
  };
  for (auto it = joined_groups_.begin(); it != joined_groups_.end();) {
    if (wanted.count(*it) != 0) {
      ++it;
      continue;
    }
    keep_first_error(link_->leaveMulticast(*it));
    it = joined_groups_.erase(it);  // a failed leave is forgotten: the kernel drops it on close
  }
  for (const MacAddress& group : wanted) {
    if (joined_groups_.count(group) != 0) continue;
    auto joined = link_->joinMulticast(group);
    if (joined) joined_groups_.insert(group);  // a failed join is retried by the next call
    keep_first_error(std::move(joined));
  }
  return outcome;
}

Result<void> NeighborResponder::announce(const IpAddress& address) {
  if (owned_.count(address) == 0) {
    return fail("Failed to announce " + address.toString() + " on " + interfaceName() +
                ": not an owned address");
  }
  const auto frame = address.isV4() ? arp::gratuitousArpFrame(address, link_->mac())
                                    : ndp::unsolicitedAdvertisementFrame(address, link_->mac());
  auto sent = link_->send(frame);
  if (sent) {
    ++counters_.announcements_sent;
  } else {
    ++counters_.send_errors;
  }
  return sent;
}

void NeighborResponder::handleFrame(std::span<const std::uint8_t> frame) {
  auto response = l2::respondToFrame(frame, link_->mac(), owned_);
  switch (response.verdict) {
    case l2::FrameVerdict::RequestForOwned:
    case l2::FrameVerdict::RequestForOther:
      ++counters_.requests_seen;
      break;
    case l2::FrameVerdict::Conflict:
      ++counters_.conflicts_seen;
      if (!response.reply.empty()) ++counters_.requests_seen;  // it also asked for an owned IP
      break;
    case l2::FrameVerdict::OwnFrame:
      ++counters_.own_frames;
      break;
    case l2::FrameVerdict::Malformed:
      ++counters_.malformed_dropped;
      break;
    case l2::FrameVerdict::Ignored:
      ++counters_.ignored;
      break;
  }
  if (!response.reply.empty()) {
    ++counters_.requests_for_owned;
    if (link_->send(response.reply)) {
      ++counters_.replies_sent;
    } else {
      ++counters_.send_errors;
    }
  }
  // Last: the handler may decide to yield and change the owned set or drop this responder.
  if (response.conflict && on_conflict_) on_conflict_(*response.conflict);
}

}  // namespace lbd::raw
