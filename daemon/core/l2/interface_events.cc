#include "core/l2/interface_events.h"

#include <algorithm>
#include <iterator>

namespace lbd::l2 {
namespace {

InterfaceEvent event(InterfaceChange change, const Interface& interface) {
  InterfaceEvent e;
  e.change = change;
  e.ifindex = interface.ifindex;
  e.name = interface.name;
  return e;
}

// Attributes without an event of their own. Together with the events below they cover every
// field of Interface, which is how diffInterfaces() is empty exactly when nothing changed.
bool staticAttributesDiffer(const Interface& a, const Interface& b) {
  return a.hardware_type != b.hardware_type || a.loopback != b.loopback || a.no_arp != b.no_arp ||
         a.mtu != b.mtu;
}

bool linkStateDiffers(const Interface& a, const Interface& b) {
  return a.admin_up != b.admin_up || a.running != b.running || a.carrier != b.carrier ||
         a.oper_state != b.oper_state;
}

void diffOne(const Interface& before, const Interface& after, std::vector<InterfaceEvent>& out) {
  if (before.name != after.name) {
    auto e = event(InterfaceChange::Renamed, after);
    e.old_name = before.name;
    out.push_back(std::move(e));
  }
  if (before.isUp() && !after.isUp()) out.push_back(event(InterfaceChange::WentDown, after));
  if (!before.isUp() && after.isUp()) out.push_back(event(InterfaceChange::WentUp, after));
  if (before.mac != after.mac) out.push_back(event(InterfaceChange::MacChanged, after));
  if (before.addresses != after.addresses) {
    auto e = event(InterfaceChange::AddressesChanged, after);
    // Both lists are sorted (InterfaceTable keeps them so).
    std::set_difference(after.addresses.begin(), after.addresses.end(), before.addresses.begin(),
                        before.addresses.end(), std::back_inserter(e.added_addresses));
    std::set_difference(before.addresses.begin(), before.addresses.end(), after.addresses.begin(),
                        after.addresses.end(), std::back_inserter(e.removed_addresses));
    out.push_back(std::move(e));
  }
  // A link-state change that does not change isUp() (carrier back while admin down) has no
  // event of its own.
  const bool up_changed = before.isUp() != after.isUp();
  if (staticAttributesDiffer(before, after) || (linkStateDiffers(before, after) && !up_changed))
    out.push_back(event(InterfaceChange::AttributesChanged, after));
}

}  // namespace

std::string_view toString(InterfaceChange change) {
  switch (change) {
    case InterfaceChange::Added:
      return "added";
    case InterfaceChange::Removed:
      return "removed";
    case InterfaceChange::Renamed:
      return "renamed";
    case InterfaceChange::WentUp:
      return "went up";
    case InterfaceChange::WentDown:
      return "went down";
    case InterfaceChange::MacChanged:
      return "mac changed";
    case InterfaceChange::AddressesChanged:
      return "addresses changed";
    case InterfaceChange::AttributesChanged:
      return "attributes changed";
  }
  return "changed";
}

std::string InterfaceEvent::toString() const {
  std::string text = name + " (ifindex " + std::to_string(ifindex) + "): ";
  text += l2::toString(change);
  if (change == InterfaceChange::Renamed) text += " from " + old_name;
  if (change == InterfaceChange::AddressesChanged) {
    std::string list;
    for (const auto& a : added_addresses)
      list += (list.empty() ? "" : " ") + ("+" + a.toString());
    for (const auto& a : removed_addresses)
      list += (list.empty() ? "" : " ") + ("-" + a.toString());
    text += " (" + list + ")";
  }
  return text;
}

std::vector<InterfaceEvent> diffInterfaces(const InterfaceTable& before,
                                           const InterfaceTable& after) {
  std::vector<InterfaceEvent> out;
  auto b = before.interfaces().begin();
  auto a = after.interfaces().begin();
  const auto b_end = before.interfaces().end();
  const auto a_end = after.interfaces().end();
  // Merge walk over both maps, which are ordered by ifindex.
  while (b != b_end || a != a_end) {
    if (a == a_end || (b != b_end && b->first < a->first)) {
      out.push_back(event(InterfaceChange::Removed, b->second));
      ++b;
    } else if (b == b_end || a->first < b->first) {
      out.push_back(event(InterfaceChange::Added, a->second));
      ++a;
    } else {
      if (b->second != a->second) diffOne(b->second, a->second, out);
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace lbd::l2
