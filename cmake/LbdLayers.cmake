# Layering: daemon/core <- daemon/io/<adapter> <- daemon/app <- main.
#
# Each layer is its own library whose include root exposes only its own folder under a fixed
# prefix ("core/...", "io/bus/...", "app/..."). A target sees another layer's headers only by
# linking it, so a core file that includes "io/bus/..." or an io/k8s file that includes
# "io/bus/..." fails to compile. tests/layering checks this stays true.

# lbd_layer_include(<target> <source dir> <include prefix>)
#   Makes "<prefix>/x.h" resolve to "<source dir>/x.h" for <target> and its dependents.
function(lbd_layer_include target source_dir prefix)
  set(root "${CMAKE_BINARY_DIR}/layer-include/${target}")
  get_filename_component(parent "${root}/${prefix}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  if(NOT EXISTS "${root}/${prefix}")
    file(CREATE_LINK "${source_dir}" "${root}/${prefix}" SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC "${root}")
endfunction()
