# The proxy agent's Debian package (cpack -G DEB). Only the proxy side installs files; the host
# agent ships as a VIB (see vib/).
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "bnfc-proxyd")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "backupnfc maintainers <bnfc@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "backupnfc proxy agent: keeps VMware NBD backup traffic on the backup network")
set(CPACK_PACKAGE_DESCRIPTION
    "Accepts reports from enrolled ESXi hosts, pins TCP 902 to the backup interface with\n routes and policy rules it owns, audits NBD flows and publishes an isolation report.")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "amd64")
set(CPACK_DEBIAN_FILE_NAME "bnfc-proxyd_${PROJECT_VERSION}_amd64.deb")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${CMAKE_SOURCE_DIR}/proxy-agent/packaging/conffiles")
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
# Installing (and so cpack) uses what the build made; it does not rebuild every target first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
