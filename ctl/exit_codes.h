#pragma once
// lbctl's exit codes (documented in lbctl(1)); 6 matches lbd's "invalid configuration".

namespace lbctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotRunning = 3;
inline constexpr int kExitAccessDenied = 4;
inline constexpr int kExitInvalidConfig = 6;

}  // namespace lbctl
