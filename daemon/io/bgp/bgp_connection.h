#pragma once
// One BGP TCP connection on the Asio loop: frames and decodes what arrives (core/bgp/codec.h)
// and writes whole encoded messages in order. It knows nothing of the FSM: the session feeds
// what it reports into its SessionFsm and calls send()/close() as the FSM's actions say.
//
// Writes are coalesced: everything queued while a write is in flight goes out in the next one,
// so a burst of thousands of UPDATEs costs a handful of syscalls.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "core/bgp/codec.h"

namespace lbd::bgp {

class BgpConnection : public std::enable_shared_from_this<BgpConnection> {
 public:
  struct Handlers {
    std::function<void(DecodedMessage)> on_message;
    std::function<void(NotificationMessage)> on_bad_message;  // what the codec says to send
    std::function<void(std::string)> on_closed;               // by the peer or an error (reason)
  };

  explicit BgpConnection(boost::asio::ip::tcp::socket socket);
  ~BgpConnection();

  /// Starts reading; handlers are called from the loop. None is called after close().
  void start(Handlers handlers);
  /// After the OPEN exchange: 4-octet ASNs and iBGP change how UPDATEs parse.
  void setCodecOptions(const CodecOptions& options) { options_ = options; }
  const CodecOptions& codecOptions() const { return options_; }

  /// Queues encoded messages (whole messages, header included).
  void send(std::vector<std::uint8_t> bytes);
  void sendMessage(const Message& message);
  /// Bytes queued and not yet written (for backpressure and lbctl).
  std::size_t queuedBytes() const { return pending_.size() + writing_.size(); }
  /// Closes once everything queued is written (bounded by a short linger), without callbacks.
  void closeAfterFlush();
  /// Closes now, without callbacks.
  void close();

  boost::asio::ip::tcp::endpoint localEndpoint() const { return local_; }
  boost::asio::ip::tcp::endpoint remoteEndpoint() const { return remote_; }
  std::uint64_t messagesReceived() const { return messages_received_; }

 private:
  void readMore();
  void consume();
  void writeMore();
  void fail(std::string reason);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint local_;
  boost::asio::ip::tcp::endpoint remote_;
  Handlers handlers_;
  CodecOptions options_;
  std::vector<std::uint8_t> received_;  // unparsed bytes
  std::size_t received_start_ = 0;      // first unparsed byte in received_
  std::vector<std::uint8_t> pending_;   // queued, not yet handed to a write
  std::vector<std::uint8_t> writing_;   // in the write in flight
  bool writing_now_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::uint64_t messages_received_ = 0;
};

}  // namespace lbd::bgp
