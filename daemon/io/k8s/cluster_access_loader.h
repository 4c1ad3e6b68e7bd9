#pragma once
// Turns the [kubernetes] section into a ClusterAccess: reads the kubeconfig file (relative
// paths inside it resolve against its directory), or takes server + CA + token file / client
// certificate from the section itself.

#include "core/config/config.h"
#include "core/k8s/kubeconfig.h"
#include "core/result.h"

namespace lbd::k8s {

/// Fails with a sentence naming the file and the problem.
Result<ClusterAccess> loadClusterAccess(const KubernetesConfig& config);

}  // namespace lbd::k8s
