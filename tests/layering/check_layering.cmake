# Dependency rules between modules, checked on the source tree (ctest: layering_rules):
#   * a venue adapter never includes the router (venue_adapters/ -> router/);
#   * the FIX venue never includes the acceptor (venue_adapters/fix -> fix_acceptor/);
#   * algorithms never touch venues or the journal directly (algos/ -> venue_adapters/, store/).
# Usage: cmake -DSRC=<source dir> -P check_layering.cmake
if(NOT SRC)
  message(FATAL_ERROR "pass -DSRC=<source dir>")
endif()
set(violations "")
function(check_rule dir forbidden_regex why)
  file(GLOB_RECURSE files "${SRC}/${dir}/*.h" "${SRC}/${dir}/*.cpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" hits REGEX "^[ \t]*#[ \t]*include[ \t]*\"(${forbidden_regex})")
    foreach(h IN LISTS hits)
      file(RELATIVE_PATH rel "${SRC}" "${f}")
      string(STRIP "${h}" h)
      set(violations "${violations}\n  ${rel}: ${h}  (${why})" PARENT_SCOPE)
    endforeach()
  endforeach()
endfunction()
check_rule(venue_adapters "router/" "a venue adapter must not include the router")
check_rule(venue_adapters/fix "fix_acceptor/" "the FIX venue must not include the acceptor")
check_rule(algos "venue_adapters/|store/" "an algo must not touch venues or the journal")
if(violations)
  message(FATAL_ERROR "layering rules broken:${violations}")
endif()
message(STATUS "layering rules hold")
