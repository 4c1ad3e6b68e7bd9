// lbctl: looks at and controls lbd over D-Bus. See lbctl(1).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <map>

#include "exit_codes.h"
#include "lbd_version.h"
#include "verbs.h"

int main(int argc, char** argv) {
  using namespace lbctl;
  OutputOptions options;
  options.colour = isatty(1) && std::getenv("NO_COLOR") == nullptr;

  CLI::App app{"lbctl: look at and control lbd, the bare-metal LoadBalancer daemon (see lbctl(1))",
               "lbctl"};
  app.set_version_flag("--version", std::string("lbctl ") + lbd::kVersion);
  app.require_subcommand(1);
  // Options before or after the verb, as systemd's tools take them: `lbctl status --json=short`
  // and `lbctl --json=short status` mean the same. Set before the verbs: they inherit it.
  app.fallthrough();
  std::string json;
  app.add_option("--json", json, "JSON output: pretty or short")
      ->check(CLI::IsMember({"pretty", "short"}))
      ->type_name("pretty|short")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  bool no_legend = false;
  app.add_flag("--no-legend", no_legend, "Omit the table header and the summary line");
  bool no_pager = false;
  app.add_flag("--no-pager", no_pager, "Accepted for systemd compatibility (lbctl never pages)");
  // Given twice (an alias, a script adding its own), the last one counts, as with systemctl.
  app.add_option("--bus", options.bus, "D-Bus to use: system, session, or an address")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  auto* status = app.add_subcommand("status", "Show the daemon's state");
  auto* pools = app.add_subcommand(
      "pools", "List the address pools with size, used and free per address family");
  auto* services = app.add_subcommand(
      "services", "List the LoadBalancer Services lbd serves: IPs, pool, state and why pending");
  auto* peers = app.add_subcommand(
      "peers", "List this host's BGP sessions: state, uptime, prefixes sent and received, errors");
  auto* reload =
      app.add_subcommand("reload", "Make lbd re-read its configuration (root or group lbd)");
  auto* check =
      app.add_subcommand("check-config", "Validate configuration files (no daemon needed)");
  std::string config_path = lbd::kDefaultConfigPath;
  std::string pools_dir;
  check->add_option("-c,--config", config_path, "Main configuration file")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto* pools_dir_option =
      check->add_option("--pools-dir", pools_dir, "Directory of extra *.toml files")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
  }
  options.json =
      json.empty() ? JsonMode::Off : (json == "pretty" ? JsonMode::Pretty : JsonMode::Short);
  options.legend = !no_legend;

  if (status->parsed()) return statusVerb(options);
  if (pools->parsed()) return poolsVerb(options);
  if (services->parsed()) return servicesVerb(options);
  if (peers->parsed()) return peersVerb(options);
  if (reload->parsed()) return reloadVerb(options);
  if (check->parsed()) {
    std::optional<std::string> dir;
    if (pools_dir_option->count() > 0) dir = pools_dir;
    return checkConfigVerb(options, config_path, dir);
  }
  return kExitUsage;
}
