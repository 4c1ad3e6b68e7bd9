#include "io/bgp/bgp_speaker.h"

#include <algorithm>

#include "io/bgp/bgp_next_hop.h"
#include "io/bgp/bgp_socket_options.h"

namespace lbd::bgp {
namespace {

using boost::asio::ip::tcp;

NotificationMessage ceaseWith(std::uint8_t subcode) {
  return NotificationMessage{static_cast<std::uint8_t>(ErrorCode::Cease), subcode, {}};
}

}  // namespace

BgpSpeaker::BgpSpeaker(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log)
    : io_(io), log_(std::move(log)), stop_timer_(io), started_(std::chrono::steady_clock::now()) {}

BgpSpeaker::~BgpSpeaker() {
  *alive_ = false;
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
}

void BgpSpeaker::configure(std::vector<PeerSpec> peers, std::uint16_t listen_port) {
  std::vector<std::unique_ptr<BgpPeerSession>> kept(peers.size());
  // Stopping a session reports its state change, and the handler may read peers() at once (the
  // D-Bus property getters do): sessions_ must never hold a moved-from entry meanwhile.
  auto previous = std::move(sessions_);
  sessions_.clear();
  for (auto& session : previous) {
    const auto& spec = session->spec();
    const auto index = session->index();
    if (index < peers.size() && peers[index] == spec) {
      kept[index] = std::move(session);
      continue;
    }
    const bool still_configured =
        std::any_of(peers.begin(), peers.end(),
                    [&spec](const PeerSpec& p) { return p.peer.name == spec.peer.name; });
    session->stop(
        ceaseWith(still_configured ? cease::kOtherConfigurationChange : cease::kPeerDeconfigured));
  }
  previous.clear();
  for (PeerIndex index = 0; index < peers.size(); ++index) {
    if (kept[index]) {
      sessions_.push_back(std::move(kept[index]));
      continue;
    }
    const auto restart_window_end =
        started_ + std::chrono::seconds(peers[index].graceful_restart_time);
    auto session = std::make_unique<BgpPeerSession>(
        io_, index, std::move(peers[index]),
        [this]() -> const AdjRibOut* { return rib_ready_ ? &rib_ : nullptr; }, log_,
        [this](const std::string& peer, SessionState from, SessionState to,
               const std::string& reason) {
          if (on_state_) on_state_(peer, from, to, reason);
        },
        restart_window_end);
    sessions_.push_back(std::move(session));
    sessions_.back()->start();
  }
  if (listen_port != listen_port_ || (!acceptor_ && listen_port != 0)) listen(listen_port);
  applyListenerKeys();
}

void BgpSpeaker::listen(std::uint16_t port) {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  listen_port_ = port;
  listen_error_.clear();
  if (port == 0) return;
  // Dual-stack [::]:port takes IPv4 peers too (as v4-mapped); without IPv6, 0.0.0.0:port.
  for (const bool v6 : {true, false}) {
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    boost::system::error_code error;
    const tcp::endpoint endpoint(v6 ? tcp::v6() : tcp::v4(), port);
    acceptor->open(endpoint.protocol(), error);
    if (!error && v6) acceptor->set_option(boost::asio::ip::v6_only(false), error);
    if (!error) acceptor->set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor->bind(endpoint, error);
    if (!error) acceptor->listen(64, error);
    if (error) {
      listen_error_ = "cannot listen on port " + std::to_string(port) + ": " + error.message();
      continue;
    }
    acceptor_ = std::move(acceptor);
    acceptor_v6_ = v6;
    listen_error_.clear();
    break;
  }
  if (!acceptor_) {
    log_->warn("{}; connecting out only", listen_error_);
    return;
  }
  acceptNext();
}

void BgpSpeaker::applyListenerKeys() {
  if (!acceptor_) return;
  for (const auto& session : sessions_) {
    const auto& spec = session->spec();
    if (spec.md5_key.empty()) continue;
    if (auto set =
            setMd5Key(acceptor_->native_handle(), acceptor_v6_, spec.peer.address, spec.md5_key);
        !set) {
      log_->error("peer {}: {} on the listening socket", spec.peer.name, set.error().message);
    }
  }
}

void BgpSpeaker::acceptNext() {
  acceptor_->async_accept(
      [this, alive = alive_](const boost::system::error_code& error, tcp::socket socket) {
        if (!*alive || error == boost::asio::error::operation_aborted || !acceptor_) return;
        if (!error) {
          boost::system::error_code ignored;
          const IpAddress from = fromAsio(socket.remote_endpoint(ignored).address());
          auto session = std::find_if(sessions_.begin(), sessions_.end(), [&from](const auto& s) {
            return s->spec().peer.address == from;
          });
          if (session == sessions_.end()) {
            log_->warn("refused a BGP connection from {}: not a configured peer", from.toString());
            socket.close(ignored);
          } else {
            (*session)->acceptIncoming(std::move(socket));
          }
        }
        acceptNext();
      });
}

void BgpSpeaker::setRoutes(AdjRibOut rib) {
  AdjRibOut before = std::move(rib_);
  rib_ = std::move(rib);
  rib_ready_ = true;
  for (auto& session : sessions_)
    session->routesChanged(before);
}

void BgpSpeaker::stop(std::chrono::milliseconds graceful_shutdown_time,
                      std::function<void()> done) {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  const bool any_established = std::any_of(sessions_.begin(), sessions_.end(),
                                           [](const auto& s) { return s->established(); });
  auto finish = [this, done = std::move(done)]() mutable {
    for (auto& session : sessions_)
      session->withdrawAll();
    waitForFlush(50, [this, done = std::move(done)] {
      for (auto& session : sessions_)
        session->stop(ceaseWith(cease::kAdministrativeShutdown));
      // The NOTIFICATIONs are queued on connections that close themselves once written.
      stop_timer_.expires_after(std::chrono::milliseconds(100));
      stop_timer_.async_wait(
          [alive = alive_, done = std::move(done)](const boost::system::error_code&) mutable {
            if (*alive) done();
          });
    });
  };
  if (!any_established || graceful_shutdown_time.count() == 0) {
    finish();
    return;
  }
  log_->info("graceful shutdown (RFC 8326): routes marked, withdrawing in {} ms",
             graceful_shutdown_time.count());
  for (auto& session : sessions_)
    session->announceGracefulShutdown();
  stop_timer_.expires_after(graceful_shutdown_time);
  stop_timer_.async_wait(
      [alive = alive_, finish = std::move(finish)](const boost::system::error_code&) mutable {
        if (*alive) finish();
      });
}

void BgpSpeaker::waitForFlush(int rounds_left, std::function<void()> then) {
  const bool flushed = std::all_of(sessions_.begin(), sessions_.end(),
                                   [](const auto& s) { return s->queuedBytes() == 0; });
  if (flushed || rounds_left <= 0) {
    then();
    return;
  }
  stop_timer_.expires_after(std::chrono::milliseconds(20));
  stop_timer_.async_wait([this, alive = alive_, rounds_left,
                          then = std::move(then)](const boost::system::error_code&) mutable {
    if (*alive) waitForFlush(rounds_left - 1, std::move(then));
  });
}

std::vector<PeerView> BgpSpeaker::peers() const {
  std::vector<PeerView> views;
  for (const auto& session : sessions_)
    views.push_back(session->view());
  return views;
}

}  // namespace lbd::bgp
