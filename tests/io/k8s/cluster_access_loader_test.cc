#include "io/k8s/cluster_access_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lbd::k8s {
namespace {

TEST(ClusterAccessLoader, ServerAndFilesFromTheConfigSection) {
  KubernetesConfig config;
  config.server = "https://192.0.2.10:6443";
  config.ca_file = "/etc/lbd/ca.crt";
  config.token_file = "/etc/lbd/token";
  auto access = loadClusterAccess(config);
  ASSERT_TRUE(access);
  EXPECT_EQ(access->server, "https://192.0.2.10:6443");
  EXPECT_EQ(access->ca_file, "/etc/lbd/ca.crt");
  EXPECT_EQ(access->token_file, "/etc/lbd/token");
}

TEST(ClusterAccessLoader, KubeconfigRelativePathsResolveAgainstItsDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / ("lbd-kc-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "kubeconfig") << R"(current-context: a
clusters: [{name: k, cluster: {server: "https://192.0.2.10:6443", certificate-authority: ca.crt}}]
contexts: [{name: a, context: {cluster: k, user: u}}, {name: b, context: {cluster: k}}]
users: [{name: u, user: {tokenFile: token}}]
)";
  KubernetesConfig config;
  config.kubeconfig = (dir / "kubeconfig").string();
  auto access = loadClusterAccess(config);
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->ca_file, (dir / "ca.crt").string());
  EXPECT_EQ(access->token_file, (dir / "token").string());
  config.context = "b";
  EXPECT_EQ(loadClusterAccess(config)->token_file, "");
  config.context = "c";
  EXPECT_EQ(loadClusterAccess(config).error().message,
            config.kubeconfig + ": kubeconfig has no context \"c\"");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(loadClusterAccess(config).error().message,
            config.kubeconfig + ": cannot read: No such file or directory");
}

}  // namespace
}  // namespace lbd::k8s
