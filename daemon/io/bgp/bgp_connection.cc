#include "io/bgp/bgp_connection.h"

#include <boost/asio/write.hpp>

namespace lbd::bgp {
namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
}

BgpConnection::BgpConnection(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  local_ = socket_.local_endpoint(ignored);
  remote_ = socket_.remote_endpoint(ignored);
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
}

BgpConnection::~BgpConnection() {
  close();
}

void BgpConnection::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  readMore();
}

void BgpConnection::readMore() {
  if (closed_) return;
  const std::size_t used = received_.size();
  received_.resize(used + kReadChunk);
  socket_.async_read_some(
      boost::asio::buffer(received_.data() + used, kReadChunk),
      [self = shared_from_this(), used](const boost::system::error_code& error, std::size_t n) {
        if (self->closed_) return;
        self->received_.resize(used + n);
        if (error) {
          self->fail(error == boost::asio::error::eof ? "connection closed by peer"
                                                      : "connection error: " + error.message());
          return;
        }
        self->consume();
        if (!self->closed_ && !self->closing_) self->readMore();
      });
}

void BgpConnection::consume() {
  auto self = shared_from_this();  // a handler may drop the last other reference
  while (!closed_ && !closing_) {
    const std::span<const std::uint8_t> unparsed(received_.data() + received_start_,
                                                 received_.size() - received_start_);
    auto length = frameLength(unparsed);
    if (!length) {
      auto notification = std::move(length).error();
      if (handlers_.on_bad_message) handlers_.on_bad_message(std::move(notification));
      return;
    }
    if (!length.value()) break;
    const std::size_t size = *length.value();
    auto decoded = decodeMessage(unparsed.first(size), options_);
    received_start_ += size;
    ++messages_received_;
    if (!decoded) {
      if (handlers_.on_bad_message) handlers_.on_bad_message(std::move(decoded).error());
      return;
    }
    if (handlers_.on_message) handlers_.on_message(std::move(decoded.value()));
  }
  // Keep the buffer small: move the unparsed tail to the front.
  if (received_start_ > 0) {
    received_.erase(received_.begin(),
                    received_.begin() + static_cast<std::ptrdiff_t>(received_start_));
    received_start_ = 0;
  }
}

void BgpConnection::send(std::vector<std::uint8_t> bytes) {
  if (closed_ || closing_) return;
  if (pending_.empty())
    pending_ = std::move(bytes);
  else
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  writeMore();
}

void BgpConnection::sendMessage(const Message& message) {
  std::vector<std::uint8_t> bytes;
  if (const auto* open = std::get_if<OpenMessage>(&message)) {
    encodeOpen(*open, bytes);
  } else if (const auto* update = std::get_if<UpdateMessage>(&message)) {
    if (!encodeUpdate(*update, options_, bytes)) return;
  } else if (const auto* notification = std::get_if<NotificationMessage>(&message)) {
    encodeNotification(*notification, bytes);
  } else if (std::holds_alternative<KeepaliveMessage>(message)) {
    encodeKeepalive(bytes);
  } else if (const auto* refresh = std::get_if<RouteRefreshMessage>(&message)) {
    encodeRouteRefresh(*refresh, bytes);
  }
  send(std::move(bytes));
}

void BgpConnection::writeMore() {
  if (writing_now_ || closed_ || pending_.empty()) return;
  writing_.swap(pending_);
  pending_.clear();
  writing_now_ = true;
  boost::asio::async_write(
      socket_, boost::asio::buffer(writing_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        self->writing_now_ = false;
        if (self->closed_) return;
        self->writing_.clear();
        if (error) {
          if (self->closing_)
            self->close();
          else
            self->fail("connection error: " + error.message());
          return;
        }
        if (!self->pending_.empty()) {
          self->writeMore();
        } else if (self->closing_) {
          self->close();
        }
      });
}

void BgpConnection::closeAfterFlush() {
  if (closed_) return;
  // Our NOTIFICATION must reach the peer before the FIN: queued bytes go first.
  closing_ = true;
  handlers_ = {};
  if (!writing_now_ && pending_.empty()) close();
}

void BgpConnection::close() {
  if (closed_) return;
  closed_ = true;
  handlers_ = {};
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void BgpConnection::fail(std::string reason) {
  auto on_closed = std::move(handlers_.on_closed);
  close();
  if (on_closed) on_closed(std::move(reason));
}

}  // namespace lbd::bgp
