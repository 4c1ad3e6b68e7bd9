#pragma once
// One io.lbd1.BgpPeer object per configured BGP peer (/io/lbd1/bgp/peer/<name>): properties
// read from the daemon when asked, PropertiesChanged when the session's state changes. Like
// ManagerBus it keeps no state of its own: `fetch` returns the peer's current row.

#include <functional>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "dbus/bgp_peer_adaptor.h"
#include "io/bus/manager_bus.h"

namespace lbd::bus {

/// "/io/lbd1/bgp/peer/<name>", the name escaped as systemd escapes object path labels:
/// [A-Za-z0-9] as is, every other byte as _XX (lower-case hex); "" becomes "_".
std::string bgpPeerObjectPath(const std::string& name);

class BgpPeerBus final : public sdbus::AdaptorInterfaces<io::lbd1::BgpPeer_adaptor> {
 public:
  BgpPeerBus(sdbus::IConnection& connection, std::string name, std::function<BgpPeerRow()> fetch);
  ~BgpPeerBus();

  /// The session changed state: emits PropertiesChanged for State, EstablishedAtUSec and
  /// LastError.
  void stateChanged();

 private:
  std::string Name() override { return name_; }
  std::string Address() override { return fetch_().address; }
  uint32_t LocalAsn() override { return fetch_().local_asn; }
  uint32_t PeerAsn() override { return fetch_().peer_asn; }
  std::string State() override { return fetch_().state; }
  uint64_t EstablishedAtUSec() override { return fetch_().established_at_usec; }
  uint64_t PrefixesSent() override { return fetch_().prefixes_sent; }
  uint64_t PrefixesReceived() override { return fetch_().prefixes_received; }
  uint64_t MalformedUpdates() override { return fetch_().malformed_updates; }
  std::string LastError() override { return fetch_().last_error; }

  std::string name_;
  std::function<BgpPeerRow()> fetch_;
};

}  // namespace lbd::bus
