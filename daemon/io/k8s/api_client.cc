#include "io/k8s/api_client.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <boost/asio/post.hpp>

namespace lbd::k8s {

namespace {

ApiResponse toApiResponse(HttpResponse http) {
  ApiResponse response;
  response.status = static_cast<int>(http.status);
  response.transport_error = std::move(http.transport_error);
  response.http2 = http.http2;
  response.retry_after = retryAfter(http.headers);
  if (!http.body.empty() && response.status >= 400) {
    if (auto json = parseJson(http.body)) {
      if (auto status = decodeStatus(json.value())) response.api_status = std::move(status.value());
    }
  }
  response.body = std::move(http.body);
  return response;
}

}  // namespace

std::string ApiResponse::describe() const {
  if (status == 0) return transport_error.empty() ? "no answer" : transport_error;
  // (a dropped request says why in transport_error)
  std::string text = std::to_string(status);
  if (api_status) {
    if (!api_status->reason.empty()) text += " " + api_status->reason;
    if (!api_status->message.empty()) text += ": " + api_status->message;
  }
  // A stream cut short after a good start keeps its status; say what cut it.
  if (!transport_error.empty()) text += " (" + transport_error + ")";
  return text;
}

std::chrono::milliseconds retryAfter(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::chrono::milliseconds(0);
  try {
    const long seconds = std::stol(it->second);
    return std::chrono::milliseconds(std::clamp(seconds, 0L, 600L) * 1000);
  } catch (const std::exception&) {
    return std::chrono::milliseconds(0);  // an HTTP date: fall back to our own backoff
  }
}

ApiClient::ApiClient(boost::asio::io_context& io, ApiClientOptions options)
    : options_(std::move(options)),
      io_(io),
      http_(io,
            TlsSettings{options_.access.ca_file, options_.access.ca_pem,
                        options_.access.client_cert_file, options_.access.client_cert_pem,
                        options_.access.client_key_file, options_.access.client_key_pem},
            options_.connect_timeout),
      scheduler_(io, options_.scheduling, [this](const OutgoingRequest& outgoing, Callback done) {
        send(outgoing, std::move(done));
      }) {}

std::string ApiClient::bearerToken() {
  if (options_.access.token_file.empty()) return options_.access.token;
  const std::string& file = options_.access.token_file;
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) {
    token_problem_ = "cannot read token file " + file + ": " + std::strerror(errno);
    return token_;  // keep the last good one
  }
  if (st.st_mtim.tv_sec != token_mtime_.tv_sec || st.st_mtim.tv_nsec != token_mtime_.tv_nsec ||
      st.st_size != token_size_) {
    std::ifstream in(file);
    if (!in) {
      token_problem_ = "cannot read token file " + file + ": " + std::strerror(errno);
      return token_;
    }
    std::stringstream content;
    content << in.rdbuf();
    std::string token = content.str();
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
      token.pop_back();
    }
    if (token.empty()) {
      token_problem_ = "token file " + file + " is empty";
    } else {
      token_ = std::move(token);
      token_mtime_ = st.st_mtim;
      token_size_ = st.st_size;
      token_problem_.clear();
    }
  }
  return token_;
}

std::optional<std::string> ApiClient::credentialsMissing() {
  if (options_.access.token_file.empty() || !bearerToken().empty()) return std::nullopt;
  return token_problem_ + ": no request is sent without credentials";
}

void ApiClient::failLater(std::string why, std::function<void(ApiResponse)> done) {
  boost::asio::post(io_, [this, alive = alive_, why = std::move(why), done = std::move(done)] {
    if (!*alive) return;
    ApiResponse response;
    response.transport_error = why;
    noteResult(response);
    done(std::move(response));
  });
}

HttpRequest ApiClient::makeRequest(const std::string& method, const std::string& path,
                                   const std::string& body, const std::string& content_type) {
  HttpRequest request;
  request.method = method;
  request.url = options_.access.server + path;
  request.body = body;
  request.headers.push_back("Accept: application/json");
  request.headers.push_back("User-Agent: " + options_.user_agent);
  if (!content_type.empty()) request.headers.push_back("Content-Type: " + content_type);
  if (const std::string token = bearerToken(); !token.empty()) {
    request.headers.push_back("Authorization: Bearer " + token);
  }
  return request;
}

void ApiClient::noteResult(const ApiResponse& response) {
  if (response.status == 0 || response.status >= 500 || response.status == 401 ||
      response.status == 403 || response.status == 429) {
    last_error_ = response.describe();
  } else {
    noteSuccess();
  }
}

void ApiClient::noteSuccess() {
  if (last_error_.empty()) return;
  last_error_.clear();
  if (on_reachable_again_) on_reachable_again_();
}

void ApiClient::call(std::string method, std::string path, std::string body,
                     std::string content_type, Callback done, std::uint32_t max_attempts) {
  const RequestClass request_class = classifyRequest(method, path);
  OutgoingRequest outgoing{
      std::move(method), std::move(path), std::move(body), std::move(content_type), {},
      std::nullopt};
  scheduler_.submit(
      request_class, [outgoing = std::move(outgoing)] { return outgoing; }, std::move(done),
      max_attempts);
}

void ApiClient::submit(RequestClass request_class, BuildRequest build, Callback done) {
  scheduler_.submit(request_class, std::move(build), std::move(done));
}

void ApiClient::send(const OutgoingRequest& outgoing, Callback done) {
  if (auto missing = credentialsMissing()) {
    failLater(std::move(*missing), std::move(done));
    return;
  }
  HttpRequest request =
      makeRequest(outgoing.method, outgoing.path, outgoing.body, outgoing.content_type);
  request.timeout = outgoing.timeout.count() > 0 ? outgoing.timeout : options_.request_timeout;
  request.send_by = outgoing.send_by;
  http_.start(std::move(request), nullptr, [this, done = std::move(done)](HttpResponse http) {
    ApiResponse response = toApiResponse(std::move(http));
    noteResult(response);
    done(std::move(response));
  });
}

HttpClient::RequestId ApiClient::stream(std::string path, HttpClient::OnData on_data,
                                        std::function<void(ApiResponse)> on_done) {
  // Watches are started at once: holding them back would only delay events; the informer's
  // backoff already paces restarts.
  if (auto missing = credentialsMissing()) {
    failLater(std::move(*missing), std::move(on_done));
    return 0;  // HttpClient's ids start at 1: cancelling this one does nothing
  }
  HttpRequest request = makeRequest("GET", path, "", "");
  request.streaming = true;
  // An open watch is a working connection: clear the error of the outage before it, or the
  // state would say "retrying" until some other request completes (possibly never).
  auto on_open = [this](long status) {
    if (status >= 200 && status < 300) noteSuccess();
  };
  return http_.start(
      std::move(request), std::move(on_data),
      [this, on_done = std::move(on_done)](HttpResponse http) {
        ApiResponse response = toApiResponse(std::move(http));
        noteResult(response);
        on_done(std::move(response));
      },
      std::move(on_open));
}

}  // namespace lbd::k8s
