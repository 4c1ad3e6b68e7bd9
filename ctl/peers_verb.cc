// lbctl peers: this host's BGP sessions, one line per configured peer.
#include <iostream>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "format.h"
#include "manager_client.h"
#include "table.h"
#include "verbs.h"

namespace lbctl {

int peersVerb(const OutputOptions& options) {
  auto client = ManagerClient::connect(options.bus);
  if (auto* error = std::get_if<CtlError>(&client))
    return failed("connect to lbd", error->reason, error->exit_code);
  auto result = std::get<std::unique_ptr<ManagerClient>>(client)->bgpPeers();
  if (auto* error = std::get_if<CtlError>(&result))
    return failed("list BGP peers", error->reason, error->exit_code);
  const auto& peers = std::get<std::vector<BgpPeerInfo>>(result);
  const std::uint64_t now = nowUsec();

  if (options.json != JsonMode::Off) {
    nlohmann::json json = nlohmann::json::array();
    for (const auto& peer : peers) {
      json.push_back({{"name", peer.name},
                      {"address", peer.address},
                      {"local_asn", peer.local_asn},
                      {"peer_asn", peer.peer_asn},
                      {"state", peer.state},
                      {"established_at_usec", peer.established_at_usec},
                      {"prefixes_sent", peer.prefixes_sent},
                      {"prefixes_received", peer.prefixes_received},
                      {"updates_received", peer.updates_received},
                      {"malformed_updates", peer.malformed_updates},
                      {"hold_time", peer.hold_time},
                      {"families", peer.families},
                      {"peer_router_id", peer.peer_router_id},
                      {"graceful_restart", peer.graceful_restart},
                      {"last_error", peer.last_error}});
    }
    printJson(json.dump(2), json.dump(), options.json);
    return kExitOk;
  }
  using Align = Table::Align;
  Table table({{"peer"},
               {"address"},
               {"local-as", Align::Right},
               {"peer-as", Align::Right},
               {"state"},
               {"up", Align::Right},
               {"sent", Align::Right},
               {"received", Align::Right},
               {"last-error"}});
  std::size_t established = 0;
  for (const auto& peer : peers) {
    std::string state = peer.state;
    const bool up = state == "established";
    if (up) ++established;
    if (options.colour) state = (up ? "\033[32m" : "\033[33m") + state + "\033[0m";
    std::string uptime;
    if (up && peer.established_at_usec != 0 && now >= peer.established_at_usec)
      uptime = formatDuration((now - peer.established_at_usec) / 1000000);
    // Received routes are counted, never installed; malformed ones are worth seeing.
    std::string received = std::to_string(peer.prefixes_received);
    if (peer.malformed_updates != 0)
      received += " (" + std::to_string(peer.malformed_updates) + " malformed)";
    table.addRow({peer.name, peer.address, std::to_string(peer.local_asn),
                  std::to_string(peer.peer_asn), state, uptime, std::to_string(peer.prefixes_sent),
                  received, peer.last_error});
  }
  std::cout << table.render(options.legend, options.colour);
  if (options.legend) {
    std::cout << '\n'
              << peers.size() << (peers.size() == 1 ? " peer" : " peers") << " listed, "
              << established << " established.\n";
  }
  return kExitOk;
}

}  // namespace lbctl
