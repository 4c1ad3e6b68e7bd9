#include "core/k8s/list_watch.h"

namespace lbd::k8s {

bool resourceVersionTooLarge(int http_status, std::string_view body) {
  if (http_status != 504) return false;
  auto json = parseJson(body);
  if (!json || !json->is_object()) return false;
  auto details = json->find("details");
  if (details == json->end() || !details->is_object()) return false;
  auto causes = details->find("causes");
  if (causes == details->end() || !causes->is_array()) return false;
  for (const auto& cause : *causes) {
    if (!cause.is_object()) continue;
    auto reason = cause.find("reason");
    // metav1.CauseTypeResourceVersionTooLarge, as apiserver's
    // storage.NewTooLargeResourceVersionError sets it (recorded: 05-compaction/12-list-future-rv).
    if (reason != cause.end() && reason->is_string() &&
        reason->get<std::string>() == "ResourceVersionTooLarge") {
      return true;
    }
  }
  return false;
}

bool resourceVersionUnusable(int http_status, std::string_view body) {
  return http_status == 410 || resourceVersionTooLarge(http_status, body);
}

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> lines;
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      break;
    }
    partial_.append(bytes.substr(0, newline));
    lines.push_back(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(newline + 1);
  }
  return lines;
}

}  // namespace lbd::k8s
