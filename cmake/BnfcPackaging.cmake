# The proxy agent's Debian package (cpack -G DEB). Only the proxy side installs files; the host
# agent ships as a VIB (see vib/). What lintian expects of a .deb is provided here: a copyright
# file, a changelog, stripped binaries (symbols go to a bnfc-proxyd-dbgsym .ddeb), conffiles for
# everything under /etc, maintainer scripts, and a man page generated from --help.
set(_pkg ${CMAKE_SOURCE_DIR}/proxy-agent/packaging)
set(_doc usr/share/doc/bnfc-proxyd)

# Man pages from the same text as --help, dated from the commit (help2man honours
# SOURCE_DATE_EPOCH) so they are reproducible. bnfc-vib's page is a build artefact only (the tool
# builds VIBs; it is not part of the proxy package).
find_program(BNFC_HELP2MAN help2man)
set(_man ${CMAKE_BINARY_DIR}/man)
if(BNFC_HELP2MAN)
  function(bnfc_man target section name)
    set(page ${_man}/${target}.${section})
    add_custom_command(OUTPUT ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_man}
      COMMAND ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=${BNFC_SOURCE_DATE_EPOCH}
              ${BNFC_HELP2MAN} --no-info --no-discard-stderr --section=${section} --name=${name}
              --version-string=${PROJECT_VERSION} --output=${page} $<TARGET_FILE:${target}>
      COMMAND gzip -9nf ${page}
      DEPENDS ${target}
      COMMENT "Man page ${target}(${section}) from --help"
      VERBATIM)
    add_custom_target(${target}-man ALL DEPENDS ${page}.gz)
  endfunction()
  bnfc_man(bnfc-proxyd 8 "backupnfc proxy agent: keeps VMware NBD backup traffic on the backup network")
  bnfc_man(bnfc-vib 1 "build, inspect and verify VMware VIBs and offline bundles")
  install(FILES ${_man}/bnfc-proxyd.8.gz DESTINATION usr/share/man/man8)
else()
  message(WARNING "help2man not found: the .deb will have no man page (./run setup installs it)")
endif()

# Debian wants these two compressed, without a time stamp.
foreach(f changelog copyright)
  configure_file(${_pkg}/${f} ${CMAKE_BINARY_DIR}/deb/${f} COPYONLY)
endforeach()
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/deb/changelog.gz
  COMMAND gzip -9nkf ${CMAKE_BINARY_DIR}/deb/changelog
  DEPENDS ${_pkg}/changelog VERBATIM)
add_custom_target(bnfc-deb-docs ALL DEPENDS ${CMAKE_BINARY_DIR}/deb/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/deb/changelog.gz ${CMAKE_BINARY_DIR}/deb/copyright
        DESTINATION ${_doc})

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "bnfc-proxyd")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "backupnfc maintainers <bnfc@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "backupnfc proxy agent: keeps VMware NBD backup traffic on the backup network")
set(CPACK_PACKAGE_DESCRIPTION
    "Accepts reports from enrolled ESXi hosts, pins TCP 902 to the backup interface\n with routes and policy rules it owns, audits NBD flows and publishes an\n isolation report.")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "amd64")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # bnfc-proxyd_<version>_amd64.deb and the -dbgsym .ddeb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# deb-systemd-helper and deb-systemd-invoke, used by the maintainer scripts.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_pkg}/conffiles;${_pkg}/postinst;${_pkg}/prerm;${_pkg}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Stripped binaries in the package, their symbols in bnfc-proxyd-dbgsym_<version>_amd64.ddeb
# (CPack strips when it makes the debug package).
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
# Installing (and so cpack) uses what the build made; it does not rebuild every target first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)

if(BNFC_BUILD_TESTS)
  # proxy_deb_package (proxy-agent/CMakeLists.txt) checks the contents; these two check the
  # package as Debian and a booted systemd see it.
  add_test(NAME proxy_deb_lintian COMMAND sh ${_pkg}/deb_lintian_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(proxy_deb_lintian PROPERTIES SKIP_RETURN_CODE 77)
  add_test(NAME proxy_deb_in_booted_container
    COMMAND sh ${_pkg}/container_test.sh ${CMAKE_BINARY_DIR})
  # Mostly waiting (debootstrap downloads, the container boots): it runs beside other tests, and
  # its cost starts it first so a clean run does not end waiting on it.
  set_tests_properties(proxy_deb_in_booted_container PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 1800 COST 80 LABELS slow)
endif()
