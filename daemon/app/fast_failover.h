#pragma once
// The direct heartbeat path of [election] fast-failover, on the Asio loop: one UDP socket on
// fast-port, a datagram to every peer each fast-interval (core/election/fast_heartbeat.h
// encodes and checks them), and the verdicts of FastLiveness handed to the layer-2 role: a
// peer fell silent, a peer is heard again. Peers and their addresses come from the heartbeat
// Leases (annotation lbd.io/fast-heartbeat = "address:port", which this host writes into its
// own): only hosts that keep a heartbeat, i.e. announce layer-2 pools, take part.
//
// Failure modes, each visible in lbctl status and the log: the key file missing or too short
// (the path stays off: datagrams would be forged by anyone or dropped by everyone), the port
// taken, no address to advertise.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/config/config.h"
#include "core/election/fast_heartbeat.h"
#include "core/result.h"

namespace lbd {

inline constexpr std::size_t kFastKeyMinimum = 16;  // bytes of key material

/// Reads a fast-key-file: its content without the final newline, at least kFastKeyMinimum bytes.
Result<std::string> readFastKeyFile(const std::string& path);

struct FastFailoverView {
  bool enabled = false;
  std::string error;     // why the path is not working ("" = fine)
  std::string endpoint;  // what this host advertises ("address:port")
  std::uint16_t port = 0;
  std::uint32_t interval_ms = 0;
  std::uint32_t misses = 0;
  std::vector<std::string> heard;   // peers heard within the silence
  std::vector<std::string> silent;  // peers found silent
  std::uint64_t sent = 0;
  std::uint64_t received = 0;  // accepted
  std::uint64_t forged = 0;    // bad tag
  std::uint64_t replayed = 0;
  std::uint64_t malformed = 0;
};

class FastFailover {
 public:
  struct Handlers {
    std::function<void(const std::string& node, election::MonotonicTime since)> silent;
    std::function<void(const std::string& node)> heard;
  };

  FastFailover(boost::asio::io_context& io, std::string node, std::shared_ptr<spdlog::logger> log,
               Handlers handlers);
  ~FastFailover();
  FastFailover(const FastFailover&) = delete;
  FastFailover& operator=(const FastFailover&) = delete;

  /// Applies [election]: starts, restarts (port or key changed) or stops the path. `address` is
  /// this host's address for the peers (the Node's InternalIP), "" when unknown.
  void configure(const ElectionConfig& election, const std::string& address);
  /// This host's address changed (its Node's InternalIP).
  void setAddress(const std::string& address) { address_ = address; }
  void stop();
  bool running() const { return socket_ != nullptr; }
  /// What to write into our heartbeat Lease's annotation ("" = none).
  std::string advertisedEndpoint() const;

  /// A heartbeat Lease of `node` with its annotation value ("" = none or released).
  void observePeer(const std::string& node, const std::string& endpoint);

  FastFailoverView view() const;

 private:
  void open();
  void receiveNext();
  void onDatagram(std::size_t size);
  void tick();
  void fail(std::string error);

  boost::asio::io_context& io_;
  std::string node_;
  std::shared_ptr<spdlog::logger> log_;
  Handlers handlers_;
  ElectionConfig config_;
  std::string key_;
  std::string address_;
  std::string error_;
  std::unique_ptr<boost::asio::ip::udp::socket> socket_;
  bool dual_stack_ = false;
  boost::asio::steady_timer tick_timer_;
  election::FastLiveness liveness_;
  std::map<std::string, boost::asio::ip::udp::endpoint> peers_;
  std::uint64_t boot_id_;
  std::uint64_t sequence_ = 0;
  std::array<std::uint8_t, 512> buffer_{};
  boost::asio::ip::udp::endpoint from_;
  FastFailoverView counters_;
  std::chrono::steady_clock::time_point last_rejection_log_{};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lbd
