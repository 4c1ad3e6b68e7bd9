#include "io/bus/bgp_peer_bus.h"

#include <cstdio>
#include <utility>

namespace lbd::bus {

std::string bgpPeerObjectPath(const std::string& name) {
  std::string path = "/io/lbd1/bgp/peer/";
  if (name.empty()) return path + "_";
  for (const unsigned char c : name) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      path += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "_%02x", c);
      path += escaped;
    }
  }
  return path;
}

BgpPeerBus::BgpPeerBus(sdbus::IConnection& connection, std::string name,
                       std::function<BgpPeerRow()> fetch)
    : AdaptorInterfaces(connection, bgpPeerObjectPath(name)),
      name_(std::move(name)),
      fetch_(std::move(fetch)) {
  registerAdaptor();
}

BgpPeerBus::~BgpPeerBus() {
  unregisterAdaptor();
}

void BgpPeerBus::stateChanged() {
  getObject().emitPropertiesChangedSignal(INTERFACE_NAME,
                                          {"State", "EstablishedAtUSec", "LastError"});
}

}  // namespace lbd::bus
