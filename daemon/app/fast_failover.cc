#include "app/fast_failover.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include <boost/asio/ip/v6_only.hpp>

namespace lbd {
namespace {

using Clock = std::chrono::steady_clock;
using boost::asio::ip::udp;

// "192.0.2.11:7947" or "[2001:db8::11]:7947" -> endpoint.
std::optional<udp::endpoint> parseEndpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(host, error);
  if (error) return std::nullopt;
  unsigned long port = 0;
  try {
    port = std::stoul(text.substr(colon + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (port == 0 || port > 65535) return std::nullopt;
  return udp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

Result<std::string> readFastKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path + ": cannot read the fast-failover key: " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  std::string key = content.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r'))
    key.pop_back();
  if (key.size() < kFastKeyMinimum) {
    return fail(path + ": the fast-failover key has " + std::to_string(key.size()) +
                " bytes, at least " + std::to_string(kFastKeyMinimum) +
                " are needed (e.g. `head -c 32 /dev/urandom | base64`)");
  }
  return key;
}

FastFailover::FastFailover(boost::asio::io_context& io, std::string node,
                           std::shared_ptr<spdlog::logger> log, Handlers handlers)
    : io_(io),
      node_(std::move(node)),
      log_(std::move(log)),
      handlers_(std::move(handlers)),
      tick_timer_(io),
      liveness_(config_.fast_interval, config_.fast_misses),
      boot_id_(std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32)) {}

FastFailover::~FastFailover() {
  *alive_ = false;
  stop();
}

void FastFailover::configure(const ElectionConfig& election, const std::string& address) {
  address_ = address;
  if (!election.fast_failover) {
    if (running()) log_->info("fast failover: off");
    stop();
    config_ = election;
    error_.clear();
    return;
  }
  auto key = readFastKeyFile(election.fast_key_file);
  if (!key) {
    stop();
    config_ = election;
    fail(key.error().message + "; fast failover is off, failover takes the Lease path");
    return;
  }
  const bool reopen = !running() || election.fast_port != config_.fast_port;
  const bool changed = reopen || key.value() != key_ ||
                       election.fast_interval != config_.fast_interval ||
                       election.fast_misses != config_.fast_misses;
  config_ = election;
  key_ = std::move(key).value();
  liveness_.configure(config_.fast_interval, config_.fast_misses);
  error_.clear();
  if (reopen) {
    stop();
    open();
  }
  if (changed && running()) {
    log_->info("fast failover: on, UDP port {}, a heartbeat every {} ms, silent after {} missed",
               config_.fast_port, config_.fast_interval.count(), config_.fast_misses);
  }
}

void FastFailover::open() {
  auto socket = std::make_unique<udp::socket>(io_);
  boost::system::error_code error;
  // Dual-stack [::] takes IPv4 peers too (as v4-mapped); without IPv6, 0.0.0.0.
  socket->open(udp::v6(), error);
  if (!error) {
    socket->set_option(boost::asio::ip::v6_only(false), error);
    if (!error) socket->bind(udp::endpoint(udp::v6(), config_.fast_port), error);
    dual_stack_ = !error;
  }
  if (error) {
    socket = std::make_unique<udp::socket>(io_);
    error.clear();
    socket->open(udp::v4(), error);
    if (!error) socket->bind(udp::endpoint(udp::v4(), config_.fast_port), error);
    dual_stack_ = false;
  }
  if (error) {
    fail("cannot listen on UDP port " + std::to_string(config_.fast_port) + ": " + error.message() +
         "; fast failover is off, failover takes the Lease path");
    return;
  }
  socket->non_blocking(true, error);
  socket_ = std::move(socket);
  receiveNext();
  tick();
}

void FastFailover::stop() {
  tick_timer_.cancel();
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
    socket_.reset();
  }
}

void FastFailover::fail(std::string error) {
  if (error != error_) log_->error("fast failover: {}", error);
  error_ = std::move(error);
}

std::string FastFailover::advertisedEndpoint() const {
  if (!running() || address_.empty()) return {};
  const bool v6 = address_.find(':') != std::string::npos;
  return (v6 ? "[" + address_ + "]" : address_) + ":" + std::to_string(config_.fast_port);
}

void FastFailover::observePeer(const std::string& node, const std::string& endpoint) {
  if (node == node_) return;
  if (endpoint.empty()) {
    peers_.erase(node);
    liveness_.forget(node);
    return;
  }
  auto parsed = parseEndpoint(endpoint);
  if (!parsed) {
    log_->warn("fast failover: peer {} advertises '{}', not address:port; not sending to it", node,
               endpoint);
    peers_.erase(node);
    return;
  }
  if (dual_stack_ && parsed->address().is_v4()) {
    parsed = udp::endpoint(
        boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, parsed->address().to_v4()),
        parsed->port());
  }
  peers_[node] = *parsed;
}

void FastFailover::tick() {
  if (!socket_) return;
  const auto datagram =
      election::encodeFastHeartbeat({node_, boot_id_, ++sequence_}, std::string_view(key_));
  for (const auto& [node, endpoint] : peers_) {
    boost::system::error_code error;
    socket_->send_to(boost::asio::buffer(datagram), endpoint, 0, error);
    if (!error) ++counters_.sent;  // a full buffer or an unreachable peer: the next tick retries
  }
  const auto now = Clock::now();
  if (handlers_.silent) {
    for (const auto& [node, since] : liveness_.silent(now))
      handlers_.silent(node, since);
  }
  tick_timer_.expires_after(config_.fast_interval);
  tick_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (!error && *alive) tick();
  });
}

void FastFailover::receiveNext() {
  if (!socket_) return;
  socket_->async_receive_from(
      boost::asio::buffer(buffer_), from_,
      [this, alive = alive_](const boost::system::error_code& error, std::size_t size) {
        if (!*alive || error == boost::asio::error::operation_aborted || !socket_) return;
        if (!error) onDatagram(size);
        receiveNext();
      });
}

void FastFailover::onDatagram(std::size_t size) {
  auto decoded = election::decodeFastHeartbeat(std::span(buffer_.data(), size), key_);
  std::optional<election::FastRejection> rejection;
  if (!decoded) {
    rejection = decoded.error();
  } else if (decoded.value().node != node_) {
    auto accepted = liveness_.accept(decoded.value(), Clock::now());
    if (!accepted) {
      rejection = accepted.error();
    } else {
      ++counters_.received;
      if (accepted.value() && handlers_.heard) handlers_.heard(decoded.value().node);
    }
  }
  if (!rejection) return;
  switch (*rejection) {
    case election::FastRejection::BadTag:
      ++counters_.forged;
      break;
    case election::FastRejection::Replayed:
      ++counters_.replayed;
      break;
    case election::FastRejection::Malformed:
      ++counters_.malformed;
      break;
  }
  // Counted always, logged at most every 10 s: a flood must not flood the journal too.
  const auto now = Clock::now();
  if (now - last_rejection_log_ >= std::chrono::seconds(10)) {
    last_rejection_log_ = now;
    log_->warn(
        "fast failover: dropped a datagram from {} ({}); so far {} forged, {} replayed, {} "
        "malformed",
        from_.address().to_string(), election::toString(*rejection), counters_.forged,
        counters_.replayed, counters_.malformed);
  }
}

FastFailoverView FastFailover::view() const {
  FastFailoverView view = counters_;
  view.enabled = config_.fast_failover;
  view.error = error_;
  view.endpoint = advertisedEndpoint();
  view.port = config_.fast_port;
  view.interval_ms = static_cast<std::uint32_t>(config_.fast_interval.count());
  view.misses = config_.fast_misses;
  const auto now = Clock::now();
  for (const auto& [node, endpoint] : peers_) {
    const auto last = liveness_.lastHeard(node);
    if (!last) continue;  // never heard: neither
    (now - *last >= config_.fast_interval * config_.fast_misses ? view.silent : view.heard)
        .push_back(node);
  }
  return view;
}

}  // namespace lbd
