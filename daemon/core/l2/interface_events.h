#pragma once
// What changed between two interface tables, as events the layer-2 role reacts to: an
// interface for a VIP that went down makes the host release the VIP at once (DESIGN.md
// section 3, "link state in eligibility"); a MAC change needs a new gratuitous ARP burst; new
// or removed addresses change which interfaces are in a VIP's subnet. Pure.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/l2/interface_table.h"

namespace lbd::l2 {

enum class InterfaceChange : std::uint8_t {
  Added,
  Removed,
  Renamed,
  WentUp,    // Interface::isUp() became true
  WentDown,  // Interface::isUp() became false (admin down, carrier lost, dormant)
  MacChanged,
  AddressesChanged,
  AttributesChanged,  // anything else: MTU, NOARP, hardware type, carrier while admin down...
};

/// "added", "removed", "renamed", "went up", "went down", "mac changed", "addresses changed",
/// "attributes changed".
std::string_view toString(InterfaceChange change);

struct InterfaceEvent {
  InterfaceChange change = InterfaceChange::AttributesChanged;
  std::int32_t ifindex = 0;
  std::string name;                                 // the name now; for Removed the last one known
  std::string old_name;                             // Renamed only
  std::vector<InterfaceAddress> added_addresses;    // AddressesChanged only
  std::vector<InterfaceAddress> removed_addresses;  // AddressesChanged only

  /// "eth0 (ifindex 2): went down", "eth0 (ifindex 2): addresses changed (+192.0.2.7/24)".
  std::string toString() const;
  bool operator==(const InterfaceEvent&) const = default;
};

/// The events that turn `before` into `after`: ordered by ifindex and, for one interface, in
/// the order of InterfaceChange. An added or removed interface yields that one event only (its
/// state is in the table); empty exactly when the tables are equal.
std::vector<InterfaceEvent> diffInterfaces(const InterfaceTable& before,
                                           const InterfaceTable& after);

}  // namespace lbd::l2
