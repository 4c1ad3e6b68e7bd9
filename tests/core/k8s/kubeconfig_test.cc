#include "core/k8s/kubeconfig.h"

#include <gtest/gtest.h>

namespace lbd::k8s {
namespace {

// base64 of "-----CA-----" and "cert", "key"
constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: lab
clusters:
- name: lab-cluster
  cluster:
    server: https://192.0.2.10:6443
    certificate-authority-data: LS0tLS1DQS0tLS0t
- name: other
  cluster:
    server: https://198.51.100.1:6443
    certificate-authority: ca/other.crt
contexts:
- name: lab
  context: {cluster: lab-cluster, user: lbd}
- name: other
  context: {cluster: other, user: certs}
users:
- name: lbd
  user:
    tokenFile: token
- name: certs
  user:
    client-certificate-data: Y2VydA==
    client-key: /etc/lbd/key.pem
    client-certificate: ignored-when-data-set.pem
)";

TEST(Kubeconfig, CurrentContextWithInlineCaAndRelativeTokenFile) {
  auto access = parseKubeconfig(kKubeconfig, "", "/etc/lbd");
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->server, "https://192.0.2.10:6443");
  EXPECT_EQ(access->ca_pem, "-----CA-----");
  EXPECT_EQ(access->token_file, "/etc/lbd/token");
  EXPECT_TRUE(access->client_cert_pem.empty());
}

TEST(Kubeconfig, ChosenContextWithClientCertificate) {
  auto access = parseKubeconfig(kKubeconfig, "other", "/etc/lbd");
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->server, "https://198.51.100.1:6443");
  EXPECT_EQ(access->ca_file, "/etc/lbd/ca/other.crt");
  EXPECT_EQ(access->client_cert_pem, "cert");
  EXPECT_EQ(access->client_key_file, "/etc/lbd/key.pem");
}

TEST(Kubeconfig, ClearErrors) {
  struct Case {
    std::string yaml;
    std::string context;
    std::string message;
  };
  const std::string base = R"(clusters: [{name: c, cluster: {server: "https://h:6443"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)";
  const Case cases[] = {
      {"[1, 2]", "", "kubeconfig is not a YAML mapping"},
      {base + "users: [{name: u, user: {token: t}}]\n", "",
       "kubeconfig has no current-context and none was chosen"},
      {base + "users: [{name: u, user: {token: t}}]\n", "nope",
       "kubeconfig has no context \"nope\""},
      {base + "users: []\n", "x",
       "context \"x\" names user \"u\", which the kubeconfig does not define"},
      {base + "users: [{name: u, user: {exec: {command: aws}}}]\n", "x",
       "user \"u\": exec credential plugins are not supported (use a token, a token file or a "
       "client "
       "certificate)"},
      {base + "users: [{name: u, user: {client-key: k.pem}}]\n", "x",
       "user \"u\": a client certificate needs its key and vice versa"},
      {base + "users: [{name: u, user: {client-certificate-data: \"!!!\"}}]\n", "x",
       "user \"u\": client-certificate-data: invalid base64 character"},
      {R"(clusters: [{name: c, cluster: {server: "http://h:8080"}}]
contexts: [{name: x, context: {cluster: c}}]
)",
       "x",
       "cluster \"c\": server \"http://h:8080\" is not an https:// URL (lbd always uses verified "
       "TLS)"},
      {R"(clusters: [{name: c, cluster: {server: "https://h", insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: c}}]
)",
       "x", "cluster \"c\": insecure-skip-tls-verify is not supported (lbd always verifies TLS)"},
  };
  for (const auto& c : cases) {
    auto access = parseKubeconfig(c.yaml, c.context, "/etc/lbd");
    ASSERT_FALSE(access) << c.yaml;
    EXPECT_EQ(access.error().message, c.message) << c.yaml;
  }
  auto broken = parseKubeconfig("clusters: [", "", "");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message.rfind("kubeconfig is not valid YAML: ", 0), 0u);
}

TEST(Base64, RoundTripsKnownVectors) {
  EXPECT_EQ(decodeBase64("").value(), "");
  EXPECT_EQ(decodeBase64("Zg==").value(), "f");
  EXPECT_EQ(decodeBase64("Zm8=").value(), "fo");
  EXPECT_EQ(decodeBase64("Zm9v").value(), "foo");
  EXPECT_EQ(decodeBase64("Zm9v\nYmFy").value(), "foobar");
  EXPECT_FALSE(decodeBase64("Zm9v=YmFy"));
  EXPECT_FALSE(decodeBase64("Z"));
}

}  // namespace
}  // namespace lbd::k8s
