# Project-wide compiler flags: warnings (errors in CI), sanitizers.
# No -Wnull-dereference: at -O2, GCC 12 reports it inside inlined libstdc++/CLI11 code.
add_compile_options(-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                    -Wimplicit-fallthrough)
if(LBD_WERROR)
  add_compile_options(-Werror)
endif()
# Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (GCC 12, C++20).
add_compile_options(-include utility)
if(LBD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
