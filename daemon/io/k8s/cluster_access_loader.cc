#include "io/k8s/cluster_access_loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lbd::k8s {

Result<ClusterAccess> loadClusterAccess(const KubernetesConfig& config) {
  if (config.kubeconfig.empty()) {
    ClusterAccess access;
    access.server = config.server;
    access.ca_file = config.ca_file;
    access.token_file = config.token_file;
    access.client_cert_file = config.client_cert_file;
    access.client_key_file = config.client_key_file;
    return access;
  }
  std::ifstream in(config.kubeconfig);
  if (!in) return fail(config.kubeconfig + ": cannot read: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  const std::string directory = std::filesystem::path(config.kubeconfig).parent_path().string();
  auto access = parseKubeconfig(text.str(), config.context, directory);
  if (!access) return fail(config.kubeconfig + ": " + access.error().message);
  return access;
}

}  // namespace lbd::k8s
