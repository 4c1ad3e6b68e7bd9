#include "io/bgp/bgp_peer_session.h"

#include <algorithm>
#include <random>

#include "io/bgp/bgp_next_hop.h"
#include "io/bgp/bgp_socket_options.h"

namespace lbd::bgp {
namespace {

using boost::asio::ip::tcp;

std::uint64_t wallUsec() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

double unitRandom() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

Family familyOf(AddressFamilyName name) {
  return name == AddressFamilyName::Ipv4Unicast ? Family::ipv4Unicast() : Family::ipv6Unicast();
}

Family familyOf(IpFamily family) {
  return family == IpFamily::V4 ? Family::ipv4Unicast() : Family::ipv6Unicast();
}

std::string ipv4Text(std::uint32_t host_order) {
  return IpAddress::v4(host_order).toString();
}

// Reconnect spacing: starts at connect-retry, at most 4x it (and 2 minutes), jittered so that
// a router restart is not answered by every host in the same millisecond.
Backoff reconnectBackoff(Duration connect_retry) {
  const Duration maximum = std::min<Duration>(connect_retry * 4, std::chrono::minutes(2));
  return Backoff(connect_retry, std::max(maximum, connect_retry));
}

}  // namespace

struct BgpPeerSession::Attempt {
  Attempt(boost::asio::io_context& io, SessionSettings settings, bool from_peer)
      : fsm(std::move(settings)),
        incoming(from_peer),
        socket(io),
        hold_timer(io),
        keepalive_timer(io) {}
  SessionFsm fsm;
  bool incoming;
  bool connect_started = false;
  bool codec_set = false;
  tcp::socket socket;  // while connecting out
  std::shared_ptr<BgpConnection> connection;
  boost::asio::steady_timer hold_timer;
  boost::asio::steady_timer keepalive_timer;
};

BgpPeerSession::BgpPeerSession(boost::asio::io_context& io, PeerIndex index, PeerSpec spec,
                               RibAccess rib, std::shared_ptr<spdlog::logger> log,
                               StateHandler on_state,
                               std::chrono::steady_clock::time_point restart_window_end)
    : io_(io),
      index_(index),
      spec_(std::move(spec)),
      rib_(std::move(rib)),
      log_(std::move(log)),
      on_state_(std::move(on_state)),
      retry_timer_(io),
      backoff_(reconnectBackoff(spec_.peer.connect_retry)),
      restart_window_backoff_(spec_.peer.connect_retry, spec_.peer.connect_retry),
      restart_window_end_(restart_window_end) {}

BgpPeerSession::~BgpPeerSession() {
  *alive_ = false;
  for (auto& attempt : attempts_) {
    boost::system::error_code ignored;
    attempt->socket.close(ignored);
    if (attempt->connection) attempt->connection->close();
  }
}

std::string BgpPeerSession::describe() const {
  return "peer " + spec_.peer.name + " (" + spec_.peer.address.toString() + ")";
}

SessionSettings BgpPeerSession::settings() const {
  SessionSettings settings;
  settings.local_asn = spec_.local_asn;
  settings.peer_asn = spec_.peer.asn;
  settings.router_id = spec_.router_id;
  settings.hold_time = std::chrono::duration_cast<std::chrono::seconds>(spec_.peer.hold_time);
  settings.keepalive_time =
      std::chrono::duration_cast<std::chrono::seconds>(spec_.peer.keepalive_time);
  for (auto name : spec_.peer.families)
    settings.families.push_back(familyOf(name));
  settings.graceful_restart_time = spec_.graceful_restart_time;
  settings.restarting = inRestartWindow();
  return settings;
}

bool BgpPeerSession::inRestartWindow() const {
  return spec_.graceful_restart_time > 0 && !established_once_ &&
         std::chrono::steady_clock::now() < restart_window_end_;
}

void BgpPeerSession::start() {
  if (!spec_.enabled) {
    last_error_ = spec_.disabled_reason;
    return;
  }
  running_ = true;
  connectSoon(true);
}

void BgpPeerSession::stop(const NotificationMessage& notification) {
  running_ = false;
  retry_timer_.cancel();
  retry_armed_ = false;
  for (auto attempt : std::vector(attempts_))
    feed(attempt, ManualStop{notification});
  for (auto attempt : std::vector(attempts_))
    removeAttempt(attempt);
  updateShownState("stopped");
}

void BgpPeerSession::updateShownState(const std::string& reason) {
  SessionState furthest = SessionState::Idle;
  for (const auto& each : attempts_)
    furthest = std::max(furthest, each->fsm.state());
  const SessionState before = shown_state_;
  if (before == furthest) return;
  shown_state_ = furthest;
  if (reason.empty())
    log_->info("{}: {} -> {}", describe(), toString(before), toString(furthest));
  else
    log_->info("{}: {} -> {}: {}", describe(), toString(before), toString(furthest), reason);
  if (on_state_) on_state_(spec_.peer.name, before, furthest, reason);
}

void BgpPeerSession::connectSoon(bool at_once) {
  if (!running_ || retry_armed_) return;
  const bool outgoing = std::any_of(attempts_.begin(), attempts_.end(),
                                    [](const auto& attempt) { return !attempt->incoming; });
  if (outgoing) return;
  retry_armed_ = true;
  // A router keeping our routes from before a restart drops them when its restart timer runs
  // out; backing off then (GoBGP, for one, refuses connections for 5 s after a session ends)
  // could miss that deadline.
  Backoff& spacing = inRestartWindow() ? restart_window_backoff_ : backoff_;
  retry_timer_.expires_after(at_once ? Duration(0) : spacing.next(unitRandom()));
  retry_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (error || !*alive) return;
    retry_armed_ = false;
    if (!running_ || establishedAttempt()) return;
    connect();
  });
}

std::shared_ptr<BgpPeerSession::Attempt> BgpPeerSession::newAttempt(bool incoming) {
  auto attempt = std::make_shared<Attempt>(io_, settings(), incoming);
  attempts_.push_back(attempt);
  return attempt;
}

void BgpPeerSession::connect() {
  // A session already being set up on the peer's own connection needs no second one.
  if (!attempts_.empty()) return;
  auto attempt = newAttempt(false);
  feed(attempt, ManualStart{});
}

void BgpPeerSession::acceptIncoming(tcp::socket socket) {
  if (!running_ || establishedAttempt()) {
    // RFC 4271 section 6.8: with a session Established, a new connection is the one closed.
    auto refused = std::make_shared<BgpConnection>(std::move(socket));
    if (running_) {
      refused->sendMessage(NotificationMessage{
          static_cast<std::uint8_t>(ErrorCode::Cease), cease::kConnectionCollisionResolution, {}});
    }
    refused->closeAfterFlush();
    return;
  }
  // An outgoing attempt still waiting for its TCP handshake is dropped: the peer's connection
  // is already up. One in OpenSent/OpenConfirm stays, and the collision is settled on OPEN.
  for (auto attempt : std::vector(attempts_)) {
    if (attempt->incoming || !attempt->connection) removeAttempt(attempt);
  }
  auto attempt = newAttempt(true);
  feed(attempt, ManualStart{});
  adopt(attempt, std::move(socket));
}

void BgpPeerSession::adopt(const std::shared_ptr<Attempt>& attempt, tcp::socket socket) {
  attempt->connection = std::make_shared<BgpConnection>(std::move(socket));
  std::weak_ptr<Attempt> weak = attempt;
  auto alive = alive_;
  attempt->connection->start(BgpConnection::Handlers{
      .on_message =
          [this, weak, alive](DecodedMessage decoded) {
            auto current = weak.lock();
            if (*alive && current) feed(current, MessageReceived{std::move(decoded)});
          },
      .on_bad_message =
          [this, weak, alive](NotificationMessage notification) {
            auto current = weak.lock();
            if (*alive && current) feed(current, MessageError{std::move(notification)});
          },
      .on_closed =
          [this, weak, alive](std::string reason) {
            auto current = weak.lock();
            if (!*alive || !current) return;
            last_error_ = reason;
            feed(current, TcpFailed{});
          },
  });
  feed(attempt, TcpConnected{});
}

void BgpPeerSession::feed(const std::shared_ptr<Attempt>& attempt, const SessionEvent& event) {
  if (std::find(attempts_.begin(), attempts_.end(), attempt) == attempts_.end()) return;
  const auto actions = attempt->fsm.handle(event);
  if (!attempt->codec_set && attempt->fsm.negotiated() && attempt->connection) {
    // From the peer's OPEN on, UPDATEs parse with what was negotiated.
    attempt->connection->setCodecOptions(attempt->fsm.negotiated()->codec);
    attempt->codec_set = true;
  }
  for (const auto& action : actions) {
    if (std::find(attempts_.begin(), attempts_.end(), attempt) == attempts_.end()) return;
    perform(attempt, action);
  }
}

void BgpPeerSession::perform(const std::shared_ptr<Attempt>& attempt, const SessionAction& action) {
  if (std::holds_alternative<Connect>(action)) {
    if (attempt->incoming) return;
    if (attempt->connect_started) {
      // The FSM asks again after a failure: the retry is spaced by our backoff.
      removeAttempt(attempt);
      connectSoon(false);
      return;
    }
    attempt->connect_started = true;
    const IpAddress& peer = spec_.peer.address;
    const tcp::endpoint remote(toAsio(peer), spec_.peer.port);
    boost::system::error_code error;
    attempt->socket.open(remote.protocol(), error);
    if (!error && spec_.peer.source_address)
      attempt->socket.bind(tcp::endpoint(toAsio(*spec_.peer.source_address), 0), error);
    if (error) {
      last_error_ = "cannot open a connection: " + error.message();
      log_->warn("{}: {}", describe(), last_error_);
      removeAttempt(attempt);
      connectSoon(false);
      return;
    }
    const int fd = attempt->socket.native_handle();
    if (!spec_.md5_key.empty()) {
      if (auto set = setMd5Key(fd, peer.isV6(), peer, spec_.md5_key); !set) {
        last_error_ = set.error().message;
        log_->error("{}: {}", describe(), last_error_);
      }
    }
    const bool external = spec_.local_asn != spec_.peer.asn;
    (void)setTtl(fd, peer.isV6(), external ? spec_.peer.ebgp_multihop : 64);
    std::weak_ptr<Attempt> weak = attempt;
    // The kernel would retry a SYN for two minutes; a peer that drops it (down, filtered, or a
    // TCP MD5 mismatch, which is dropped silently) is reported and retried on our schedule.
    const Duration timeout = std::clamp<Duration>(spec_.peer.connect_retry, std::chrono::seconds(5),
                                                  std::chrono::seconds(30));
    attempt->hold_timer.expires_after(timeout);
    attempt->hold_timer.async_wait([this, weak, timeout,
                                    alive = alive_](const boost::system::error_code& timer_error) {
      auto current = weak.lock();
      if (timer_error || !*alive || !current || current->connection) return;
      if (std::find(attempts_.begin(), attempts_.end(), current) == attempts_.end()) return;
      const std::string previous = last_error_;
      last_error_ =
          "connect to " + spec_.peer.address.toString() + ":" + std::to_string(spec_.peer.port) +
          ": no answer within " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
      if (!spec_.md5_key.empty())
        last_error_ +=
            " (password-file is set: a peer with another TCP MD5 password, or "
            "none, drops our packets silently)";
      // Once per change of error, not once per retry.
      log_->log(last_error_ == previous ? spdlog::level::debug : spdlog::level::warn, "{}: {}",
                describe(), last_error_);
      removeAttempt(current);
      connectSoon(false);
    });
    attempt->socket.async_connect(
        remote, [this, weak, alive = alive_](const boost::system::error_code& connect_error) {
          auto current = weak.lock();
          if (!*alive || !current || connect_error == boost::asio::error::operation_aborted) return;
          if (std::find(attempts_.begin(), attempts_.end(), current) == attempts_.end()) return;
          current->hold_timer.cancel();
          if (connect_error) {
            last_error_ = "connect to " + spec_.peer.address.toString() + ":" +
                          std::to_string(spec_.peer.port) + " failed: " + connect_error.message();
            log_->debug("{}: {}", describe(), last_error_);
            removeAttempt(current);
            connectSoon(false);
            return;
          }
          adopt(current, std::move(current->socket));
        });
    return;
  }
  if (const auto* send = std::get_if<SendMessage>(&action)) {
    if (attempt->connection) attempt->connection->sendMessage(send->message);
    return;
  }
  if (std::holds_alternative<CloseConnection>(action)) {
    if (attempt->connection) attempt->connection->closeAfterFlush();
    return;
  }
  if (const auto* arm = std::get_if<ArmTimer>(&action)) {
    auto& timer = arm->timer == Timer::Hold ? attempt->hold_timer : attempt->keepalive_timer;
    timer.expires_after(arm->duration);
    std::weak_ptr<Attempt> weak = attempt;
    const Timer which = arm->timer;
    timer.async_wait([this, weak, which, alive = alive_](const boost::system::error_code& error) {
      auto current = weak.lock();
      if (error || !*alive || !current) return;
      feed(current, TimerExpired{which});
    });
    return;
  }
  if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
    (cancel->timer == Timer::Hold ? attempt->hold_timer : attempt->keepalive_timer).cancel();
    return;
  }
  if (const auto* changed = std::get_if<StateChanged>(&action)) {
    if (changed->to == SessionState::OpenConfirm) settleCollision(attempt);
    // A fall to Idle is reported by onDown, which knows why.
    if (changed->to != SessionState::Idle) updateShownState("");
    return;
  }
  if (const auto* established = std::get_if<SessionEstablished>(&action)) {
    onEstablished(attempt, established->negotiated);
    return;
  }
  if (const auto* down = std::get_if<SessionDown>(&action)) {
    onDown(attempt, *down);
    return;
  }
  if (const auto* update = std::get_if<UpdateReceived>(&action)) {
    onUpdate(*update);
    return;
  }
  if (const auto* refresh = std::get_if<RouteRefreshRequested>(&action)) {
    const AdjRibOut* rib = rib_();
    if (!rib || !initial_table_sent_) return;  // the initial table is still to come
    auto groups = rib->routesFor(index_);
    for (auto& [id, prefixes] : groups) {
      std::erase_if(prefixes, [&](const Prefix& p) {
        return familyOf(p.address.family()) != refresh->family;
      });
    }
    sendRoutes(groups, *rib, false);
    std::vector<std::uint8_t> bytes;
    encodeEndOfRib(refresh->family, bytes);  // RFC 7313 would use EoRR; plain refresh ends so
    if (attempt->connection) attempt->connection->send(std::move(bytes));
  }
}

void BgpPeerSession::settleCollision(const std::shared_ptr<Attempt>& arrived) {
  if (attempts_.size() < 2 || !arrived->fsm.negotiated()) return;
  const std::uint32_t peer_id = arrived->fsm.negotiated()->peer_router_id;
  const bool keep_incoming = collisionKeepsIncoming(spec_.router_id, peer_id);
  for (auto other : std::vector(attempts_)) {
    if (other == arrived) continue;
    auto loser = (other->incoming == keep_incoming) ? arrived : other;
    log_->info("{}: connection collision, closing the {} connection (RFC 4271 section 6.8)",
               describe(), loser->incoming ? "incoming" : "outgoing");
    feed(loser, ManualStop{NotificationMessage{static_cast<std::uint8_t>(ErrorCode::Cease),
                                               cease::kConnectionCollisionResolution,
                                               {}}});
    removeAttempt(loser);
    if (loser == arrived) return;
  }
}

void BgpPeerSession::onEstablished(const std::shared_ptr<Attempt>& attempt,
                                   const Negotiated& negotiated) {
  for (auto other : std::vector(attempts_)) {
    if (other == attempt) continue;
    feed(other, ManualStop{NotificationMessage{static_cast<std::uint8_t>(ErrorCode::Cease),
                                               cease::kConnectionCollisionResolution,
                                               {}}});
    removeAttempt(other);
  }
  retry_timer_.cancel();
  retry_armed_ = false;
  backoff_.reset();
  established_once_ = true;
  established_at_usec_ = wallUsec();
  last_error_.clear();
  std::string families;
  for (const auto& family : negotiated.families) {
    if (!families.empty()) families += ", ";
    families += toString(family);
  }
  initial_table_sent_ = false;
  const AdjRibOut* rib = rib_();
  log_->info("{}: established (AS {}, router ID {}, hold time {} s, {}{}), {}", describe(),
             negotiated.peer_asn, ipv4Text(negotiated.peer_router_id), negotiated.hold_time.count(),
             families, negotiated.peer_graceful_restart ? ", graceful restart" : "",
             rib ? "sending " + std::to_string(rib->countFor(index_)) + " prefixes"
                 : std::string("routes follow once this host has the cluster's state "
                               "(End-of-RIB deferred, RFC 4724 section 4.1)"));
  if (rib) sendInitialTable(attempt, *rib);
}

void BgpPeerSession::sendInitialTable(const std::shared_ptr<Attempt>& attempt,
                                      const AdjRibOut& rib) {
  sendRoutes(rib.routesFor(index_), rib, false);
  // RFC 4724 section 4: End-of-RIB per family once the initial table is out.
  std::vector<std::uint8_t> bytes;
  for (const auto& family : attempt->fsm.negotiated()->families)
    encodeEndOfRib(family, bytes);
  attempt->connection->send(std::move(bytes));
  initial_table_sent_ = true;
}

void BgpPeerSession::onDown(const std::shared_ptr<Attempt>& attempt, const SessionDown& down) {
  if (down.received || down.sent || last_error_.empty() || down.was_established)
    last_error_ = down.reason;
  if (down.was_established) {
    log_->warn("{}: session down: {}", describe(), down.reason);
    received_.clear();
    established_at_usec_ = 0;
  } else {
    log_->info("{}: session attempt ended: {}", describe(), down.reason);
  }
  removeAttempt(attempt);
  updateShownState(down.reason);
  if (running_ && attempts_.empty()) connectSoon(false);
}

void BgpPeerSession::onUpdate(const UpdateReceived& update) {
  ++updates_received_;
  if (update.action != UpdateErrorAction::None) {
    ++malformed_updates_;
    log_->warn("{}: malformed UPDATE ({}): {}", describe(),
               update.action == UpdateErrorAction::TreatAsWithdraw ? "treated as withdraw"
                                                                   : "attribute discarded",
               update.problem);
  }
  const UpdateMessage& message = update.update;
  for (const auto& prefix : message.withdrawn)
    received_.erase(prefix);
  if (message.mp_unreach) {
    for (const auto& prefix : message.mp_unreach->withdrawn)
      received_.erase(prefix);
  }
  const bool withdraw = update.action == UpdateErrorAction::TreatAsWithdraw;
  for (const auto& prefix : message.nlri) {
    if (withdraw)
      received_.erase(prefix);
    else
      received_.insert(prefix);
  }
  if (message.mp_reach) {
    for (const auto& prefix : message.mp_reach->nlri) {
      if (withdraw)
        received_.erase(prefix);
      else
        received_.insert(prefix);
    }
  }
}

void BgpPeerSession::removeAttempt(const std::shared_ptr<Attempt>& attempt) {
  auto it = std::find(attempts_.begin(), attempts_.end(), attempt);
  if (it == attempts_.end()) return;
  boost::system::error_code ignored;
  attempt->socket.close(ignored);
  attempt->hold_timer.cancel();
  attempt->keepalive_timer.cancel();
  if (attempt->connection) attempt->connection->closeAfterFlush();
  attempts_.erase(it);
}

std::shared_ptr<BgpPeerSession::Attempt> BgpPeerSession::establishedAttempt() const {
  for (const auto& attempt : attempts_) {
    if (attempt->fsm.state() == SessionState::Established) return attempt;
  }
  return nullptr;
}

bool BgpPeerSession::established() const {
  return establishedAttempt() != nullptr;
}

void BgpPeerSession::routesChanged(const AdjRibOut& before) {
  auto attempt = establishedAttempt();
  const AdjRibOut* after = rib_();
  if (!attempt || !after) return;
  if (!initial_table_sent_) {
    log_->info("{}: sending {} prefixes", describe(), after->countFor(index_));
    sendInitialTable(attempt, *after);
    return;
  }
  auto changes = AdjRibOut::changesFor(before, *after, index_);
  if (changes.empty()) return;
  sendWithdrawals(changes.withdraw);
  sendRoutes(changes.announce, *after, false);
}

void BgpPeerSession::announceGracefulShutdown() {
  const AdjRibOut* rib = rib_();
  if (!established() || !rib || !initial_table_sent_) return;
  sendRoutes(rib->routesFor(index_), *rib, true);
}

void BgpPeerSession::withdrawAll() {
  const AdjRibOut* rib = rib_();
  if (!established() || !rib || !initial_table_sent_) return;
  std::vector<Prefix> all;
  for (auto& [id, prefixes] : rib->routesFor(index_))
    all.insert(all.end(), prefixes.begin(), prefixes.end());
  std::sort(all.begin(), all.end());
  sendWithdrawals(all);
}

std::size_t BgpPeerSession::queuedBytes() const {
  auto attempt = establishedAttempt();
  return attempt ? attempt->connection->queuedBytes() : 0;
}

void BgpPeerSession::sendRoutes(const std::map<AttributeSetId, std::vector<Prefix>>& groups,
                                const AdjRibOut& rib, bool graceful_shutdown) {
  auto attempt = establishedAttempt();
  if (!attempt || groups.empty()) return;
  const Negotiated& negotiated = *attempt->fsm.negotiated();
  const bool internal = negotiated.codec.internal_peer;
  const IpAddress local = fromAsio(attempt->connection->localEndpoint().address());
  std::vector<std::uint8_t> bytes;
  for (const auto& [id, prefixes] : groups) {
    const RouteAttributes& wanted = rib.attributes(id);
    PathAttributes attributes;
    attributes.origin = Origin::Igp;
    attributes.has_as_path = true;
    if (!internal) attributes.as_path.push_back({AsPathSegmentType::AsSequence, {spec_.local_asn}});
    attributes.communities = wanted.communities;
    if (graceful_shutdown) attributes.communities.push_back(kCommunityGracefulShutdown);
    attributes.large_communities = wanted.large_communities;
    // RFC 8326 section 4.1: on iBGP the speaker itself also lowers LOCAL_PREF to 0.
    if (internal) attributes.local_pref = graceful_shutdown ? 0 : wanted.local_pref.value_or(100);
    // Prefixes are ordered IPv4 first: split once.
    const auto first_v6 = std::partition_point(prefixes.begin(), prefixes.end(),
                                               [](const Prefix& p) { return p.address.isV4(); });
    const std::span<const Prefix> v4(prefixes.data(),
                                     static_cast<std::size_t>(first_v6 - prefixes.begin()));
    const std::span<const Prefix> v6(prefixes.data() + v4.size(), prefixes.size() - v4.size());
    for (const auto& [family, span] : {std::pair{IpFamily::V4, v4}, std::pair{IpFamily::V6, v6}}) {
      if (span.empty()) continue;
      const Family wire = familyOf(family);
      if (std::find(negotiated.families.begin(), negotiated.families.end(), wire) ==
          negotiated.families.end())
        continue;
      const auto next_hop = spec_.next_hop && spec_.next_hop->family() == family
                                ? spec_.next_hop
                                : nextHopFor(family, local);
      if (!next_hop) {
        log_->error(
            "{}: no {} address on the interface of {} to use as next hop: {} prefixes "
            "not advertised",
            describe(), toString(family), local.toString(), span.size());
        continue;
      }
      encodeAnnouncements(attributes, *next_hop, std::nullopt, span, negotiated.codec, bytes);
    }
  }
  if (!bytes.empty()) attempt->connection->send(std::move(bytes));
}

void BgpPeerSession::sendWithdrawals(const std::vector<Prefix>& prefixes) {
  auto attempt = establishedAttempt();
  if (!attempt || prefixes.empty()) return;
  std::vector<std::uint8_t> bytes;
  encodeWithdrawals(prefixes, bytes);
  attempt->connection->send(std::move(bytes));
}

PeerView BgpPeerSession::view() const {
  PeerView view;
  view.name = spec_.peer.name;
  view.address = spec_.peer.address.toString();
  view.local_asn = spec_.local_asn;
  view.peer_asn = spec_.peer.asn;
  view.state = spec_.enabled ? std::string(toString(shown_state_)) : "disabled";
  view.last_error = last_error_;
  view.updates_received = updates_received_;
  view.malformed_updates = malformed_updates_;
  view.prefixes_received = received_.size();
  if (auto attempt = establishedAttempt()) {
    const Negotiated& negotiated = *attempt->fsm.negotiated();
    view.established_at_usec = established_at_usec_;
    view.hold_time = static_cast<std::uint32_t>(negotiated.hold_time.count());
    for (const auto& family : negotiated.families)
      view.families.push_back(toString(family));
    view.peer_router_id = ipv4Text(negotiated.peer_router_id);
    view.graceful_restart =
        negotiated.peer_graceful_restart.has_value() && spec_.graceful_restart_time > 0;
    // Only families the session carries are sent.
    const AdjRibOut* rib = initial_table_sent_ ? rib_() : nullptr;
    const auto groups = rib ? rib->routesFor(index_) : AdjRibOut::Groups{};
    for (const auto& [id, prefixes] : groups) {
      for (const auto& prefix : prefixes) {
        if (std::find(negotiated.families.begin(), negotiated.families.end(),
                      familyOf(prefix.address.family())) != negotiated.families.end())
          ++view.prefixes_sent;
      }
    }
  }
  return view;
}

}  // namespace lbd::bgp
