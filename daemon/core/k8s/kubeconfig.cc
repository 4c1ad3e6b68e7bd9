#include "core/k8s/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <array>

namespace lbd::k8s {
namespace {

std::string resolve(std::string_view directory, const std::string& path) {
  if (path.empty() || path.front() == '/' || directory.empty()) return path;
  std::string joined(directory);
  if (joined.back() != '/') joined += '/';
  return joined + path;
}

// Finds the entry named `name` in a list of {name, <field>: {...}} maps.
YAML::Node findNamed(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& entry : list) {
    if (entry.IsMap() && entry["name"] && entry["name"].as<std::string>() == name) {
      return entry[field];
    }
  }
  return YAML::Node();
}

std::string text(const YAML::Node& map, const char* key) {
  const YAML::Node value = map[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

Result<ClusterAccess> parse(const YAML::Node& root, std::string_view wanted_context,
                            std::string_view directory) {
  if (!root.IsMap()) return fail("kubeconfig is not a YAML mapping");
  std::string context_name(wanted_context);
  if (context_name.empty()) context_name = text(root, "current-context");
  if (context_name.empty()) return fail("kubeconfig has no current-context and none was chosen");

  const YAML::Node context = findNamed(root["contexts"], context_name, "context");
  if (!context || !context.IsMap())
    return fail("kubeconfig has no context \"" + context_name + "\"");
  const std::string cluster_name = text(context, "cluster");
  const std::string user_name = text(context, "user");

  const YAML::Node cluster = findNamed(root["clusters"], cluster_name, "cluster");
  if (!cluster || !cluster.IsMap()) {
    return fail("context \"" + context_name + "\" names cluster \"" + cluster_name +
                "\", which the kubeconfig does not define");
  }
  ClusterAccess access;
  access.server = text(cluster, "server");
  if (access.server.rfind("https://", 0) != 0) {
    return fail("cluster \"" + cluster_name + "\": server \"" + access.server +
                "\" is not an https:// URL (lbd always uses verified TLS)");
  }
  if (cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>(false)) {
    return fail("cluster \"" + cluster_name +
                "\": insecure-skip-tls-verify is not supported (lbd always verifies TLS)");
  }
  access.ca_file = resolve(directory, text(cluster, "certificate-authority"));
  if (auto data = text(cluster, "certificate-authority-data"); !data.empty()) {
    auto decoded = decodeBase64(data);
    if (!decoded)
      return fail("cluster \"" + cluster_name +
                  "\": certificate-authority-data: " + decoded.error().message);
    access.ca_pem = std::move(decoded.value());
  }
  access.tls_server_name = text(cluster, "tls-server-name");

  if (!user_name.empty()) {
    const YAML::Node user = findNamed(root["users"], user_name, "user");
    if (!user || !user.IsMap()) {
      return fail("context \"" + context_name + "\" names user \"" + user_name +
                  "\", which the kubeconfig does not define");
    }
    if (user["exec"]) {
      return fail("user \"" + user_name +
                  "\": exec credential plugins are not supported (use a token, a token file or a "
                  "client certificate)");
    }
    if (user["auth-provider"]) {
      return fail("user \"" + user_name + "\": auth-provider plugins are not supported");
    }
    if (user["username"] || user["password"]) {
      return fail("user \"" + user_name + "\": basic authentication is not supported");
    }
    access.token = text(user, "token");
    access.token_file = resolve(directory, text(user, "tokenFile"));
    access.client_cert_file = resolve(directory, text(user, "client-certificate"));
    access.client_key_file = resolve(directory, text(user, "client-key"));
    for (auto [field, target] : std::array<std::pair<const char*, std::string*>, 2>{
             {{"client-certificate-data", &access.client_cert_pem},
              {"client-key-data", &access.client_key_pem}}}) {
      if (auto data = text(user, field); !data.empty()) {
        auto decoded = decodeBase64(data);
        if (!decoded)
          return fail("user \"" + user_name + "\": " + field + ": " + decoded.error().message);
        *target = std::move(decoded.value());
      }
    }
    const bool has_cert = !access.client_cert_file.empty() || !access.client_cert_pem.empty();
    const bool has_key = !access.client_key_file.empty() || !access.client_key_pem.empty();
    if (has_cert != has_key) {
      return fail("user \"" + user_name + "\": a client certificate needs its key and vice versa");
    }
  }
  return access;
}

}  // namespace

Result<ClusterAccess> parseKubeconfig(std::string_view yaml, std::string_view context,
                                      std::string_view directory) {
  try {
    return parse(YAML::Load(std::string(yaml)), context, directory);
  } catch (const YAML::Exception& error) {
    // yaml-cpp reports syntax and type errors by exception: turn them into data here.
    return fail("kubeconfig is not valid YAML: " + std::string(error.what()));
  }
}

Result<std::string> decodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return fail("invalid base64: data after padding");
    const int v = value(c);
    if (v < 0) return fail("invalid base64 character");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (padding > 2 || bits >= 6) return fail("invalid base64 length");
  return out;
}

}  // namespace lbd::k8s
