# Reproducible bytes: the same commit built in any two directories (or machines with the same
# toolchain) gives byte-identical binaries, VIB and offline bundle; the test
# vib_reproducible_across_directories builds twice and compares.
#
# - Paths: __FILE__ (assertion messages, logs) and debug info would carry the checkout's and the
#   build folder's absolute paths. Both are mapped away (GCC applies the last matching map, so the
#   build folder, which may sit inside the source folder, comes second).
# - Build id: GNU ld's default sha1 build id is a hash of the linked output, so it is fixed once
#   the inputs are; it is kept (debuggers and crash tools match on it) and named explicitly.
# - Time: nothing reads the clock; VIB and bundle dates come from the manifest's release_date,
#   zip times are written in UTC (bnfc-vib bundle). SOURCE_DATE_EPOCH, when set, is honoured by
#   the compiler for __DATE__/__TIME__ (neither is used).
# - Archives are written in sorted order by bnfc-vib (payload entries, zip entries).
set(BNFC_PREFIX_MAP_FLAGS "-ffile-prefix-map=${CMAKE_SOURCE_DIR}/="
                          "-ffile-prefix-map=${CMAKE_BINARY_DIR}/=")
add_compile_options(${BNFC_PREFIX_MAP_FLAGS})
# ccache with CCACHE_BASEDIR hands the compiler paths relative to the compile's working folder
# (the target's build folder with Makefiles), e.g. ../../common/src/x.cpp or ../protocol/gen,
# which the absolute maps above do not match: map those relative ways to the build and source
# roots too. The source root's map comes last so that it wins where both match (a build folder
# inside the checkout).
add_compile_options(
  "-ffile-prefix-map=$<PATH:RELATIVE_PATH,${CMAKE_BINARY_DIR},$<TARGET_PROPERTY:BINARY_DIR>>/="
  "-ffile-prefix-map=$<PATH:RELATIVE_PATH,${CMAKE_SOURCE_DIR},$<TARGET_PROPERTY:BINARY_DIR>>/=")
add_link_options("LINKER:--build-id=sha1")
# For third-party code built by ExternalProject under the build folder (static libzmq, compiled
# in its sibling folder zmq_static_build-build, where ccache makes its sources ../zmq_static_build).
list(APPEND BNFC_PREFIX_MAP_FLAGS
     "-ffile-prefix-map=../zmq_static_build/=_deps/zmq/src/zmq_static_build/")
string(JOIN " " BNFC_PREFIX_MAP_FLAGS_STRING ${BNFC_PREFIX_MAP_FLAGS})

# One date for everything that must carry one (man pages): SOURCE_DATE_EPOCH when the caller sets
# it, else the commit's time, else 0 — never the clock.
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  set(BNFC_SOURCE_DATE_EPOCH $ENV{SOURCE_DATE_EPOCH})
else()
  execute_process(COMMAND git -C ${CMAKE_SOURCE_DIR} log -1 --format=%ct
                  OUTPUT_VARIABLE BNFC_SOURCE_DATE_EPOCH OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rc ERROR_QUIET)
  if(NOT _rc EQUAL 0 OR BNFC_SOURCE_DATE_EPOCH STREQUAL "")
    set(BNFC_SOURCE_DATE_EPOCH 0)
  endif()
endif()
