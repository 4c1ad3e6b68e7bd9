#include "io/k8s/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../../support/child_process.h"

namespace lbd::k8s {
namespace {

using namespace std::chrono_literals;

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(std::filesystem::temp_directory_path() /
                           ("lbd-http-" + std::to_string(getpid())));
    std::filesystem::create_directories(*dir_);
    server_ = new lbd::testing::ChildProcess(
        {"/usr/bin/python3", std::string(LBD_SOURCE_DIR) + "/tests/io/k8s/https_fixture.py",
         *dir_});
    port_ = new std::string(server_->readLine());
    ASSERT_FALSE(port_->empty()) << "the HTTPS fixture did not start";
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete port_;
  }

  std::string url(const std::string& path) const { return "https://127.0.0.1:" + *port_ + path; }
  TlsSettings trusted() const { return TlsSettings{*dir_ + "/ca.crt", "", "", "", "", ""}; }

  // Runs one request to completion on a fresh loop.
  HttpResponse fetch(HttpClient& client, HttpRequest request, std::string* streamed = nullptr) {
    HttpResponse result;
    bool done = false;
    client.start(
        std::move(request),
        [&](std::string_view data) {
          if (streamed) streamed->append(data);
        },
        [&](HttpResponse response) {
          result = std::move(response);
          done = true;
        });
    io_.run_for(10s);
    io_.restart();
    EXPECT_TRUE(done);
    return result;
  }

  boost::asio::io_context io_;
  static inline std::string* dir_ = nullptr;
  static inline std::string* port_ = nullptr;
  static inline lbd::testing::ChildProcess* server_ = nullptr;
};

TEST_F(HttpClientTest, GetWithVerifiedTls) {
  HttpClient client(io_, trusted(), 5s);
  auto response = fetch(client, {"GET", url("/hello"), {}, "", 0ms, false});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(response.headers["content-type"], "text/plain");
  EXPECT_TRUE(response.transport_error.empty());
  EXPECT_EQ(client.inFlight(), 0u);
}

TEST_F(HttpClientTest, ARequestPastItsSendByIsNeverSent) {
  // Fenced writes: once the connection is ready curl asks before sending; too late = aborted
  // before a byte of the request leaves, however long the transfer was held before that.
  HttpClient client(io_, trusted(), 5s);
  HttpRequest late{"GET", url("/hello"), {}, "", 0ms, false, std::chrono::steady_clock::now()};
  std::this_thread::sleep_for(5ms);
  auto response = fetch(client, late);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.transport_error.empty());
  HttpRequest in_time{
      "GET", url("/hello"), {}, "", 0ms, false, std::chrono::steady_clock::now() + 5s};
  response = fetch(client, in_time);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
}

TEST_F(HttpClientTest, UntrustedServerIsRefused) {
  // The system trust store does not know the fixture's throwaway CA.
  HttpClient client(io_, TlsSettings{"/etc/ssl/certs/ca-certificates.crt", "", "", "", "", ""}, 5s);
  auto response = fetch(client, {"GET", url("/hello"), {}, "", 0ms, false});
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.transport_error.find("certificate"), std::string::npos)
      << response.transport_error;
}

TEST_F(HttpClientTest, CaFromMemory) {
  std::ifstream in(*dir_ + "/ca.crt");
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  HttpClient client(io_, TlsSettings{"", pem, "", "", "", ""}, 5s);
  EXPECT_EQ(fetch(client, {"GET", url("/hello"), {}, "", 0ms, false}).status, 200);
}

TEST_F(HttpClientTest, SendsMethodBodyAndHeaders) {
  HttpClient client(io_, trusted(), 5s);
  auto response =
      fetch(client, {"PATCH",
                     url("/echo"),
                     {"Content-Type: application/merge-patch+json", "Authorization: Bearer t0k"},
                     R"({"status":{}})",
                     0ms,
                     false});
  ASSERT_EQ(response.status, 200);
  auto echo = nlohmann::json::parse(response.body);
  EXPECT_EQ(echo["method"], "PATCH");
  EXPECT_EQ(echo["body"], R"({"status":{}})");
  EXPECT_EQ(echo["headers"]["content-type"], "application/merge-patch+json");
  EXPECT_EQ(echo["headers"]["authorization"], "Bearer t0k");
  EXPECT_FALSE(echo["headers"].contains("expect"));
}

TEST_F(HttpClientTest, ErrorStatusIsAResponseNotATransportError) {
  HttpClient client(io_, trusted(), 5s);
  auto response = fetch(client, {"GET", url("/status/409"), {}, "", 0ms, false});
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(response.body, "status 409");
}

TEST_F(HttpClientTest, StreamsChunksAsTheyArrive) {
  HttpClient client(io_, trusted(), 5s);
  std::string streamed;
  auto response = fetch(client, {"GET", url("/stream"), {}, "", 0ms, true}, &streamed);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(streamed, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
  EXPECT_TRUE(response.body.empty());
  EXPECT_TRUE(response.transport_error.empty());
}

TEST_F(HttpClientTest, StreamCutMidObjectKeepsStatusAndReportsTheError) {
  HttpClient client(io_, trusted(), 5s);
  std::string streamed;
  auto response = fetch(client, {"GET", url("/cut"), {}, "", 0ms, true}, &streamed);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(streamed, "{\"n\":1}\n{\"n\":");
  EXPECT_FALSE(response.transport_error.empty());
}

TEST_F(HttpClientTest, ErrorAnswerToAStreamIsCollectedNotStreamed) {
  HttpClient client(io_, trusted(), 5s);
  std::string streamed;
  auto response = fetch(client, {"GET", url("/status/410"), {}, "", 0ms, true}, &streamed);
  EXPECT_EQ(response.status, 410);
  EXPECT_EQ(streamed, "");
  EXPECT_EQ(response.body, "status 410");
}

TEST_F(HttpClientTest, OnOpenReportsTheStatusBeforeTheFirstByte) {
  // A watch is known to be open when its headers arrive, before any event: lbd clears the
  // error of an outage then (an idle watch may carry no event for minutes).
  HttpClient client(io_, trusted(), 5s);
  std::vector<std::string> order;
  std::optional<HttpResponse> done;
  client.start(
      {"GET", url("/stream"), {}, "", 0ms, true},
      [&](std::string_view) {
        if (order.empty() || order.back() != "data") order.push_back("data");
      },
      [&](HttpResponse response) {
        order.push_back("done");
        done = std::move(response);
      },
      [&](long status) { order.push_back("open " + std::to_string(status)); });
  while (!done)
    io_.run_one();
  EXPECT_EQ(order, (std::vector<std::string>{"open 200", "data", "done"}));

  order.clear();
  done.reset();
  client.start(
      {"GET", url("/status/410"), {}, "", 0ms, true}, [&](std::string_view) {},
      [&](HttpResponse response) { done = std::move(response); },
      [&](long status) { order.push_back("open " + std::to_string(status)); });
  while (!done)
    io_.run_one();
  EXPECT_EQ(order, (std::vector<std::string>{"open 410"}));
}

TEST_F(HttpClientTest, RequestTimeout) {
  HttpClient client(io_, trusted(), 5s);
  auto response = fetch(client, {"GET", url("/slow"), {}, "", 300ms, false});
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.transport_error.find("timed out"), std::string::npos)
      << response.transport_error;
}

TEST_F(HttpClientTest, ClientCertificate) {
  HttpClient with(
      io_, TlsSettings{*dir_ + "/ca.crt", "", *dir_ + "/client.crt", "", *dir_ + "/client.key", ""},
      5s);
  auto response = fetch(with, {"GET", url("/client-cert"), {}, "", 0ms, false});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "lbd-client");
  HttpClient without(io_, trusted(), 5s);
  EXPECT_EQ(fetch(without, {"GET", url("/client-cert"), {}, "", 0ms, false}).status, 401);
}

TEST_F(HttpClientTest, CancelledRequestNeverCallsBack) {
  HttpClient client(io_, trusted(), 5s);
  bool called = false;
  auto id = client.start({"GET", url("/slow"), {}, "", 0ms, false}, nullptr,
                         [&](HttpResponse) { called = true; });
  boost::asio::steady_timer timer(io_, 100ms);
  timer.async_wait([&](auto) { client.cancel(id); });
  io_.run_for(1s);
  EXPECT_FALSE(called);
  EXPECT_EQ(client.inFlight(), 0u);
}

TEST_F(HttpClientTest, ManyConcurrentRequests) {
  HttpClient client(io_, trusted(), 5s);
  int ok = 0;
  std::string errors;
  for (int i = 0; i < 50; ++i) {
    client.start({"GET", url("/hello"), {}, "", 0ms, false}, nullptr, [&](HttpResponse r) {
      if (r.status == 200 && r.body == "hello")
        ++ok;
      else
        errors += std::to_string(r.status) + " " + r.transport_error + "\n";
    });
  }
  io_.run_for(20s);
  EXPECT_EQ(ok, 50) << errors;
}

}  // namespace
}  // namespace lbd::k8s
