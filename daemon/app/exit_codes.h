#pragma once
// lbd's exit codes. 6 follows the LSB/systemd convention (EXIT_NOTCONFIGURED), so
// `systemctl status lbd` shows "status=6/NOTCONFIGURED" for a bad configuration and the unit's
// RestartPreventExitStatus=6 stops systemd from restarting into the same error.

namespace lbd {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInvalidConfig = 6;

}  // namespace lbd
