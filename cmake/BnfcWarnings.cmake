# Our own code builds with warnings as errors; third-party code does not get these flags.
function(bnfc_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor)
endfunction()

# Test sources (not the product code they link) compile at -O1 with line tables only (-g1): a
# backtrace still names functions and lines, and gtest/gmock-heavy files build in about half the
# time, which is most of a clean build.
function(bnfc_test_flags target)
  target_compile_options(${target} PRIVATE "$<$<CONFIG:RelWithDebInfo,Release>:-O1;-g1>")
endfunction()

# A GoogleTest executable from the given sources, registered test-by-test with CTest.
function(bnfc_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  bnfc_strict(${name})
  bnfc_test_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    # One variable only: a list here would be split into separate properties. Tests run in the
    # source root (WORKING_DIRECTORY), which is where BNFC_SOURCE_DIR defaults to.
    PROPERTIES ENVIRONMENT "BNFC_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()

# A libFuzzer-style harness (a source defining LLVMFuzzerTestOneInput) and its committed corpus.
# Normal builds link it with tests/fuzz/replay_main.cpp into a GoogleTest executable that replays
# every file of CORPUS, one CTest test per file ("<name>.Corpus/FuzzReplay.Input/<file>"), and
# every file of the third-party fixture folders named in SHARED (sub-folders of
# BNFC_FIXTURES_DIR, read at run time, never copied; "<name>.Shared/FuzzReplay.Input/<file>");
# run it by hand with file arguments to replay just those. With -DBNFC_LIBFUZZER=ON (clang) it
# becomes a real libFuzzer binary instead; tests/fuzz/run-fuzzers.sh does that build and passes
# the same shared folders as extra seed folders.
#   bnfc_fuzz_replay(config_fuzzer SOURCES fuzz/config_fuzzer.cpp LIBS bnfc_common
#                    CORPUS fuzz/corpus/config [SHARED esxcli])
option(BNFC_LIBFUZZER "Build fuzz harnesses as libFuzzer binaries (clang only)" OFF)
function(bnfc_fuzz_replay name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;LIBS;SHARED" ${ARGN})
  get_filename_component(corpus "${ARG_CORPUS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(BNFC_LIBFUZZER)
    add_executable(${name} ${ARG_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name} PRIVATE ${ARG_LIBS})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
  bnfc_strict(${name})
  bnfc_test_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest)
  set(shared "")
  foreach(dir IN LISTS ARG_SHARED)
    string(APPEND shared "${BNFC_FIXTURES_DIR}/${dir}:")
  endforeach()
  target_compile_definitions(${name} PRIVATE BNFC_FUZZ_CORPUS_DIR="${corpus}"
                                             BNFC_FUZZ_SHARED_DIRS="${shared}")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  # Re-list the tests when a corpus file is added or removed.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${corpus}")
  gtest_discover_tests(${name}
    TEST_PREFIX "${name}."
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    # One variable only: a list here would be split into separate properties. Tests run in the
    # source root (WORKING_DIRECTORY), which is where BNFC_SOURCE_DIR defaults to.
    PROPERTIES ENVIRONMENT "BNFC_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()
