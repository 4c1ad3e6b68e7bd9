#pragma once
// kubeconfig files (the format kubectl uses): clusters, users, contexts, current-context.
// Pure: the caller reads the file; relative paths inside it are resolved against the file's
// directory, as kubectl does. Only what lbd supports is accepted, and everything else is a
// clear error rather than a silent downgrade: no exec/auth-provider plugins (they would run
// programs as the daemon), no insecure-skip-tls-verify (TLS is always verified).

#include <string>
#include <string_view>

#include "core/result.h"

namespace lbd::k8s {

/// Everything needed to reach and authenticate to one API server.
struct ClusterAccess {
  std::string server;            // https://host:port
  std::string ca_file;           // certificate-authority
  std::string ca_pem;            // certificate-authority-data (decoded)
  std::string token;             // users[].user.token
  std::string token_file;        // users[].user.tokenFile
  std::string client_cert_file;  // client-certificate
  std::string client_cert_pem;   // client-certificate-data (decoded)
  std::string client_key_file;   // client-key
  std::string client_key_pem;    // client-key-data (decoded)
  std::string tls_server_name;   // tls-server-name
  bool operator==(const ClusterAccess&) const = default;
};

/// Parses kubeconfig YAML. `context` empty = current-context. `directory` resolves relative
/// paths. Errors name the context/cluster/user and the field.
Result<ClusterAccess> parseKubeconfig(std::string_view yaml, std::string_view context,
                                      std::string_view directory);

/// RFC 4648 base64 (the *-data fields); fails on invalid characters or padding.
Result<std::string> decodeBase64(std::string_view text);

}  // namespace lbd::k8s
