# Our own code builds with warnings as errors; third-party code does not get these flags.
function(bnfc_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor)
endfunction()

# A GoogleTest executable from the given sources, registered test-by-test with CTest.
function(bnfc_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  bnfc_strict(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "BNFC_SOURCE_DIR=${CMAKE_SOURCE_DIR};BNFC_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()
