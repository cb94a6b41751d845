# Debian's QuickFIX 1.15.1 headers use dynamic exception specifications
# (`throw(X)` after a declarator), which C++17 and later reject. We copy the
# headers into the build tree once, rewriting `throw()` to `noexcept` and
# `throw(A, B&)` to `noexcept(false)`, and put that copy first on the include
# path of the few targets that touch QuickFIX. Expressions like
# `throw FieldNotFound(x)` are untouched: the pattern only matches a
# parenthesised list that follows `)` or `const`.
function(fixgw_patch_quickfix_headers out_dir)
  set(src_root "/usr/include/quickfix")
  if(NOT EXISTS "${src_root}/Application.h")
    message(FATAL_ERROR "QuickFIX headers not found in ${src_root}: install libquickfix-dev")
  endif()
  set(stamp "${out_dir}/quickfix/.patched-1")
  if(EXISTS "${stamp}")
    return()
  endif()
  file(GLOB_RECURSE headers RELATIVE "${src_root}" "${src_root}/*.h")
  foreach(rel IN LISTS headers)
    file(READ "${src_root}/${rel}" text)
    string(REGEX REPLACE "(\\)|const)([ \t\r\n]*)throw[ \t]*\\([ \t]*\\)" "\\1\\2noexcept" text "${text}")
    string(REGEX REPLACE "(\\)|const)([ \t\r\n]*)throw[ \t]*\\([^()]*\\)" "\\1\\2noexcept(false)" text "${text}")
    file(WRITE "${out_dir}/quickfix/${rel}" "${text}")
  endforeach()
  file(WRITE "${stamp}" "patched from ${src_root}\n")
endfunction()
