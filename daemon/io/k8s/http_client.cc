#include "io/k8s/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <mutex>

namespace lbd::k8s {
namespace {

std::string lowerCase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

curl_blob pemBlob(std::string& pem) {
  return curl_blob{pem.data(), pem.size(), CURL_BLOB_NOCOPY};
}

}  // namespace

struct Transfer {
  HttpClient::RequestId id = 0;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  HttpRequest request;
  HttpClient::OnData on_data;
  HttpClient::OnOpen on_open;
  HttpClient::OnDone on_done;
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool cancelled = false;
};

// One socket curl asked us to watch. The descriptor never owns the fd: curl opens and closes
// its sockets, and tells us (CURL_POLL_REMOVE) before it closes one.
struct SocketWatch {
  explicit SocketWatch(boost::asio::io_context& io) : descriptor(io) {}
  boost::asio::posix::stream_descriptor descriptor;
  int wanted = 0;  // CURL_POLL_IN / OUT / INOUT
  bool reading = false;
  bool writing = false;
};

struct HttpClient::Impl {
  Impl(boost::asio::io_context& io_context, TlsSettings tls_settings,
       std::chrono::milliseconds connect)
      : io(io_context), tls(std::move(tls_settings)), connect_timeout(connect), timer(io_context) {}

  boost::asio::io_context& io;
  TlsSettings tls;
  std::chrono::milliseconds connect_timeout;
  CURLM* multi = nullptr;
  boost::asio::steady_timer timer;
  std::map<RequestId, std::unique_ptr<Transfer>> transfers;
  std::map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets;
  RequestId next_id = 1;
  // Posted handlers check this: the client may be destroyed with work still queued.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  static int onSocket(CURL*, curl_socket_t fd, int what, void* user, void*) {
    auto* impl = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      impl->forgetSocket(fd);
      return 0;
    }
    auto& watch = impl->sockets[fd];
    if (!watch) {
      watch = std::make_shared<SocketWatch>(impl->io);
      watch->descriptor.assign(fd);
    }
    watch->wanted = what;
    impl->armSocket(fd, watch);
    return 0;
  }

  static int onTimer(CURLM*, long timeout_ms, void* user) {
    auto* impl = static_cast<Impl*>(user);
    impl->timer.cancel();
    if (timeout_ms < 0) return 0;
    impl->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    impl->timer.async_wait(
        [impl, alive = std::weak_ptr<bool>(impl->alive)](const boost::system::error_code& error) {
          if (error || alive.expired()) return;
          impl->socketAction(CURL_SOCKET_TIMEOUT, 0);
        });
    return 0;
  }

  static size_t onBody(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    if (transfer->cancelled) return 0;  // makes curl abort the transfer
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    // Only a successful stream is streamed; an error answer (a Status body) is collected
    // whole so the caller can read why.
    if (transfer->request.streaming && status < 300) {
      if (transfer->on_data) transfer->on_data(std::string_view(data, bytes));
    } else {
      transfer->response.body.append(data, bytes);
    }
    return bytes;
  }

  static size_t onHeader(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    std::string_view line(data, bytes);
    if (line.rfind("HTTP/", 0) == 0) {
      transfer->response.headers.clear();  // a new response (e.g. after 100 Continue)
    } else if (line == "\r\n" || line == "\n") {
      long status = 0;
      curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
      if (status >= 200 && transfer->on_open && !transfer->cancelled) {
        auto on_open = std::move(transfer->on_open);
        transfer->on_open = nullptr;
        on_open(status);
      }
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
      transfer->response.headers[lowerCase(trim(line.substr(0, colon)))] =
          trim(line.substr(colon + 1));
    }
    return bytes;
  }

  void armSocket(curl_socket_t fd, const std::shared_ptr<SocketWatch>& watch) {
    using Wait = boost::asio::posix::descriptor_base::wait_type;
    auto arm = [&](bool wanted, bool& pending, Wait wait, int select_flag) {
      if (!wanted || pending) return;
      pending = true;
      watch->descriptor.async_wait(wait,
                                   [this, fd, weak = std::weak_ptr<SocketWatch>(watch), &pending,
                                    select_flag](const boost::system::error_code& error) {
                                     auto live = weak.lock();
                                     if (!live) return;  // curl dropped the socket meanwhile
                                     pending = false;
                                     if (error) return;
                                     socketAction(fd, select_flag);
                                     // curl may have removed or re-registered the socket inside
                                     // socketAction.
                                     auto it = sockets.find(fd);
                                     if (it != sockets.end() && it->second == live)
                                       armSocket(fd, live);
                                   });
    };
    arm(watch->wanted & CURL_POLL_IN, watch->reading, Wait::wait_read, CURL_CSELECT_IN);
    arm(watch->wanted & CURL_POLL_OUT, watch->writing, Wait::wait_write, CURL_CSELECT_OUT);
  }

  void forgetSocket(curl_socket_t fd) {
    auto it = sockets.find(fd);
    if (it == sockets.end()) return;
    // release(): cancels our waits and hands the fd back without closing it.
    it->second->descriptor.release();
    sockets.erase(it);
  }

  void socketAction(curl_socket_t fd, int flags) {
    int running = 0;
    curl_multi_socket_action(multi, fd, flags, &running);
    collectFinished();
  }

  void collectFinished() {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* raw = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &raw);
      auto it = transfers.find(raw->id);
      if (it == transfers.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      transfers.erase(it);
      finish(*transfer, message->data.result);
      release(*transfer);
      if (!transfer->cancelled && transfer->on_done)
        transfer->on_done(std::move(transfer->response));
    }
  }

  void finish(Transfer& transfer, CURLcode result) {
    long status = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
    long version = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_HTTP_VERSION, &version);
    transfer.response.http2 = version == CURL_HTTP_VERSION_2_0;
    if (result != CURLE_OK) {
      transfer.response.transport_error =
          transfer.error_buffer[0] ? transfer.error_buffer : curl_easy_strerror(result);
      // A stream cut short after its headers keeps its status: the caller sees both.
      if (!transfer.request.streaming) status = 0;
    }
    transfer.response.status = status;
  }

  void release(Transfer& transfer) {
    curl_multi_remove_handle(multi, transfer.easy);
    curl_easy_cleanup(transfer.easy);
    curl_slist_free_all(transfer.header_list);
    transfer.easy = nullptr;
    transfer.header_list = nullptr;
  }

  // Called by curl once the connection is ready, right before the request is sent.
  static int beforeSending(void* data, char*, char*, int, int) {
    const auto* transfer = static_cast<const Transfer*>(data);
    if (std::chrono::steady_clock::now() > *transfer->request.send_by) {
      return CURL_PREREQFUNC_ABORT;  // too late: the transfer fails, nothing reaches the server
    }
    return CURL_PREREQFUNC_OK;
  }

  void configure(Transfer& transfer) {
    CURL* easy = transfer.easy;
    const HttpRequest& request = transfer.request;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    // Wait for an existing HTTP/2 connection to multiplex on rather than opening a new one.
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
    if (request.timeout.count() > 0) {
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    }
    if (request.send_by) {
      curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Impl::beforeSending);
      curl_easy_setopt(easy, CURLOPT_PREREQDATA, &transfer);
    }
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!tls.ca_pem.empty()) {
      curl_blob blob = pemBlob(tls.ca_pem);
      curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
    } else if (!tls.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
    }
    if (!tls.client_cert_pem.empty()) {
      curl_blob blob = pemBlob(tls.client_cert_pem);
      curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &blob);
      curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (!tls.client_cert_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
    }
    if (!tls.client_key_pem.empty()) {
      curl_blob blob = pemBlob(tls.client_key_pem);
      curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &blob);
      curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (!tls.client_key_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.client_key_file.c_str());
    }
    if (request.method == "GET") {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (!request.body.empty() || request.method != "DELETE") {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
        curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, request.body.c_str());
      }
    }
    for (const auto& header : request.headers) {
      transfer.header_list = curl_slist_append(transfer.header_list, header.c_str());
    }
    // curl adds "Expect: 100-continue" to large bodies; the API server does not need the
    // extra round trip.
    transfer.header_list = curl_slist_append(transfer.header_list, "Expect:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_list);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::onBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::onHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  }
};

HttpClient::HttpClient(boost::asio::io_context& io, TlsSettings tls,
                       std::chrono::milliseconds connect_timeout)
    : impl_(std::make_unique<Impl>(io, std::move(tls), connect_timeout)) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->multi = curl_multi_init();
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, &Impl::onSocket);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, &Impl::onTimer);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
}

HttpClient::~HttpClient() {
  *impl_->alive = false;
  impl_->alive.reset();
  for (auto& [id, transfer] : impl_->transfers)
    impl_->release(*transfer);
  impl_->transfers.clear();
  for (auto& [fd, watch] : impl_->sockets)
    watch->descriptor.release();
  impl_->sockets.clear();
  impl_->timer.cancel();
  curl_multi_cleanup(impl_->multi);
}

HttpClient::RequestId HttpClient::start(HttpRequest request, OnData on_data, OnDone on_done,
                                        OnOpen on_open) {
  auto transfer = std::make_unique<Transfer>();
  transfer->id = impl_->next_id++;
  transfer->request = std::move(request);
  transfer->on_data = std::move(on_data);
  transfer->on_open = std::move(on_open);
  transfer->on_done = std::move(on_done);
  transfer->easy = curl_easy_init();
  impl_->configure(*transfer);
  const RequestId id = transfer->id;
  Transfer* raw = transfer.get();
  impl_->transfers.emplace(id, std::move(transfer));
  // Adding a handle from inside a curl callback (e.g. a watch's on_data) is not allowed:
  // always add from a fresh loop turn.
  boost::asio::post(impl_->io,
                    [impl = impl_.get(), raw, id, alive = std::weak_ptr<bool>(impl_->alive)] {
                      if (alive.expired() || !impl->transfers.count(id) || raw->cancelled) return;
                      curl_multi_add_handle(impl->multi, raw->easy);
                    });
  return id;
}

void HttpClient::cancel(RequestId id) {
  auto it = impl_->transfers.find(id);
  if (it == impl_->transfers.end()) return;
  it->second->cancelled = true;
  // Removing a handle inside a curl callback is not allowed either: defer.
  boost::asio::post(impl_->io, [impl = impl_.get(), id, alive = std::weak_ptr<bool>(impl_->alive)] {
    if (alive.expired()) return;
    auto found = impl->transfers.find(id);
    if (found == impl->transfers.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(found->second);
    impl->transfers.erase(found);
    impl->release(*transfer);
  });
}

std::size_t HttpClient::inFlight() const {
  return impl_->transfers.size();
}

}  // namespace lbd::k8s
