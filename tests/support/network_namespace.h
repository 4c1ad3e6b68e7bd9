#pragma once
// Network namespaces for tests that touch the kernel's network stack. For tests only.
//
// enterPrivateNetworkNamespace() moves the calling thread (the test's only thread) into a new,
// anonymous network namespace: every interface, address and sysctl a test then creates with
// `ip` or /proc/sys lives there, and disappears with it when the process exits or enters the
// next one, whatever the test's outcome. Nothing is ever added to the root namespace, and
// tests need no fixed namespace names, so they may run in parallel.
//
// PeerNamespace is a second namespace held by a child process (killed with the test), for the
// far end of a veth pair.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace lbd::testing {

/// "" on success, otherwise why not (not root, no CONFIG_NET_NS).
inline std::string enterPrivateNetworkNamespace() {
  if (unshare(CLONE_NEWNET) != 0)
    return std::string("cannot create a network namespace (needs root): ") + std::strerror(errno);
  // Loopback starts down in a new namespace.
  if (std::system("ip link set lo up") != 0) return "cannot bring lo up";
  return {};
}

/// Runs a shell command in the current network namespace; its exit status (-1: not run).
inline int run(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

class PeerNamespace {
 public:
  PeerNamespace() {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      // The namespace must not outlive the test, even when the test process is killed.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      char ok = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
      if (write(ready[1], &ok, 1) != 1) _exit(1);
      for (;;)
        pause();
    }
    close(ready[1]);
    char ok = 0;
    ok_ = pid_ > 0 && read(ready[0], &ok, 1) == 1 && ok == 1;
    close(ready[0]);
  }
  ~PeerNamespace() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  PeerNamespace(const PeerNamespace&) = delete;
  PeerNamespace& operator=(const PeerNamespace&) = delete;

  bool ok() const { return ok_; }
  /// What `ip link ... netns` accepts to name this namespace.
  std::string pid() const { return std::to_string(pid_); }
  /// Runs a shell command inside the namespace; its exit status.
  int run(const std::string& command) const {
    return testing::run("nsenter -t " + pid() + " -n sh -c '" + command + "'");
  }

 private:
  pid_t pid_ = -1;
  bool ok_ = false;
};

}  // namespace lbd::testing
