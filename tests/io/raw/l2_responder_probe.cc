// lbd_l2_responder_probe: lbd's ARP/NDP responder (io/raw) on one interface, driven line by line
// from a test, inside whatever network namespace it is started in (`ip netns exec NS ...`).
//
//   usage: lbd_l2_responder_probe INTERFACE [ADDRESS...]     (the addresses start owned)
//
// One JSON line per command on stdin:
//   {"op":"own","addresses":[...]}    replace the owned set      -> {"ok":true} / {"ok":false,...}
//   {"op":"announce","address":"..."} one gratuitous ARP / unsolicited NA
//   {"op":"counters"}                 -> the responder's counters, owned set and joined groups
// Events: {"event":"ready","interface","mac"} once, {"event":"conflict","ip","mac"} per
// conflicting frame, {"event":"link-error","message"}. Exits when stdin closes.

#include <unistd.h>

#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <nlohmann/json.hpp>

#include "io/raw/neighbor_responder.h"
#include "io/raw/packet_socket.h"

namespace lbd::raw {
namespace {

using nlohmann::json;

void emit(const json& line) {
  std::cout << line.dump() << std::endl;
}

json toJson(const Result<void>& result) {
  return result ? json{{"ok", true}} : json{{"ok", false}, {"error", result.error().message}};
}

Result<std::set<IpAddress>> parseAddresses(const json& list) {
  std::set<IpAddress> out;
  for (const auto& item : list) {
    auto address = IpAddress::parse(item.get<std::string>());
    if (!address) return Unexpected{address.error()};
    out.insert(address.value());
  }
  return out;
}

class Probe {
 public:
  Probe(boost::asio::io_context& io, NeighborResponder& responder)
      : io_(io), responder_(responder), input_(io, ::dup(STDIN_FILENO)) {}

  void readCommand() {
    boost::asio::async_read_until(
        input_, buffer_, '\n', [this](const boost::system::error_code& error, std::size_t size) {
          if (error) {  // stdin closed: the test is done with us
            io_.stop();
            return;
          }
          std::string line(
              boost::asio::buffers_begin(buffer_.data()),
              boost::asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(size));
          buffer_.consume(size);
          handle(json::parse(line));
          readCommand();
        });
  }

 private:
  void handle(const json& command) {
    const std::string op = command.value("op", "");
    if (op == "own") {
      auto addresses = parseAddresses(command.at("addresses"));
      if (!addresses) return emit(toJson(Unexpected{addresses.error()}));
      return emit(toJson(responder_.setOwned(addresses.value())));
    }
    if (op == "announce") {
      auto address = IpAddress::parse(command.at("address").get<std::string>());
      if (!address) return emit(toJson(Unexpected{address.error()}));
      return emit(toJson(responder_.announce(address.value())));
    }
    if (op == "counters") {
      const auto& c = responder_.counters();
      json groups = json::array();
      for (const auto& group : responder_.joinedGroups())
        groups.push_back(group.toString());
      json owned = json::array();
      for (const auto& address : responder_.owned())
        owned.push_back(address.toString());
      return emit({{"requests_seen", c.requests_seen},
                   {"requests_for_owned", c.requests_for_owned},
                   {"replies_sent", c.replies_sent},
                   {"announcements_sent", c.announcements_sent},
                   {"send_errors", c.send_errors},
                   {"malformed_dropped", c.malformed_dropped},
                   {"conflicts_seen", c.conflicts_seen},
                   {"own_frames", c.own_frames},
                   {"ignored", c.ignored},
                   {"owned", owned},
                   {"groups", groups}});
    }
    emit({{"ok", false}, {"error", "unknown op \"" + op + "\""}});
  }

  boost::asio::io_context& io_;
  NeighborResponder& responder_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::streambuf buffer_;
};

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: lbd_l2_responder_probe INTERFACE [ADDRESS...]\n";
    return 2;
  }
  boost::asio::io_context io;
  auto socket = PacketSocket::open(io, argv[1]);
  if (!socket) {
    std::cerr << socket.error().message << "\n";
    return 1;
  }
  NeighborResponder responder(std::move(socket).value());
  json initial = json::array();
  for (int i = 2; i < argc; ++i)
    initial.push_back(argv[i]);
  auto owned = parseAddresses(initial);
  if (!owned) {
    std::cerr << owned.error().message << "\n";
    return 2;
  }
  if (auto set = responder.setOwned(owned.value()); !set) {
    std::cerr << set.error().message << "\n";
    return 1;
  }
  responder.onConflict([](const l2::AddressConflict& conflict) {
    emit({{"event", "conflict"}, {"ip", conflict.ip.toString()}, {"mac", conflict.mac.toString()}});
  });
  responder.onLinkError([](const Error& error) {
    emit({{"event", "link-error"}, {"message", error.message}});
  });
  responder.start();
  Probe probe(io, responder);
  probe.readCommand();
  emit({{"event", "ready"},
        {"interface", responder.interfaceName()},
        {"mac", responder.mac().toString()}});
  io.run();
  return 0;
}

}  // namespace
}  // namespace lbd::raw

int main(int argc, char** argv) {
  return lbd::raw::run(argc, argv);
}
