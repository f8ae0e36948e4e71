# A minimal static libzmq (CURVE via libsodium; no GSSAPI, PGM, NORM or draft API), built from
# Debian's own zeromq3 source package. Debian's libzmq.a pulls in Kerberos/PGM/NORM, which have no
# static libraries, so the fully static host agent cannot use it. Both agents link this one build so
# there is one libzmq behaviour to reason about.
#
# Built for ESXi's userworld, where unimplemented syscalls return ENOSYS and libzmq 4.3.4 aborts
# when eventfd2 (src/ip.cpp), epoll_create1 (src/epoll.cpp) or accept4 (src/tcp_listener.cpp)
# fail: the I/O threads poll(2), the signaler is a socketpair, accepted sockets get FD_CLOEXEC by
# fcntl. The proxy shares this build instead of a second epoll one: it serves tens to a few
# hundred hosts, where poll(2) costs nothing measurable (./run bench), and a second libzmq would
# double the build and the behaviours to test.
include(ExternalProject)

set(BNFC_ZMQ_PREFIX ${CMAKE_BINARY_DIR}/_deps/zmq)
set(BNFC_ZMQ_LIB ${BNFC_ZMQ_PREFIX}/install/lib/libzmq.a)
set(BNFC_ZMQ_INCLUDE ${BNFC_ZMQ_PREFIX}/install/include)
file(MAKE_DIRECTORY ${BNFC_ZMQ_INCLUDE})

ExternalProject_Add(zmq_static_build
  PREFIX ${BNFC_ZMQ_PREFIX}
  DOWNLOAD_COMMAND ${CMAKE_SOURCE_DIR}/cmake/fetch-zeromq-source.sh ${BNFC_ZMQ_PREFIX}/src/zmq_static_build
  # Fixes for races libzmq 4.3.4 has in this configuration (cmake/patches/ says which and why).
  PATCH_COMMAND ${CMAKE_SOURCE_DIR}/cmake/patch-zeromq-source.sh ${BNFC_ZMQ_PREFIX}/src/zmq_static_build
  CMAKE_ARGS
    -DCMAKE_INSTALL_PREFIX=${BNFC_ZMQ_PREFIX}/install
    -DCMAKE_INSTALL_LIBDIR=lib
    -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_C_FLAGS=${BNFC_PREFIX_MAP_FLAGS_STRING}"
    "-DCMAKE_CXX_FLAGS=${BNFC_PREFIX_MAP_FLAGS_STRING}"
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DBUILD_STATIC=ON -DBUILD_SHARED=OFF -DBUILD_TESTS=OFF
    -DWITH_LIBSODIUM=ON -DWITH_LIBSODIUM_STATIC=ON -DENABLE_CURVE=ON -DENABLE_DRAFTS=OFF
    -DWITH_OPENPGM=OFF -DWITH_NORM=OFF -DWITH_VMCI=OFF -DWITH_DOCS=OFF -DWITH_TLS=OFF
    -DWITH_GSSAPI_KRB5=OFF -DENABLE_WS=OFF -DWITH_PERF_TOOL=OFF -DENABLE_CPACK=OFF
    # ESXi: no epoll, no eventfd, no accept4 (the checks skip variables already in the cache).
    -DPOLLER=poll -DAPI_POLLER=poll -DZMQ_HAVE_EVENTFD=OFF -DHAVE_ACCEPT4=OFF
  BUILD_BYPRODUCTS ${BNFC_ZMQ_LIB}
  UPDATE_COMMAND ""
  LOG_DOWNLOAD ON LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON LOG_OUTPUT_ON_FAILURE ON)

add_library(bnfc_zmq STATIC IMPORTED GLOBAL)
set_target_properties(bnfc_zmq PROPERTIES
  IMPORTED_LOCATION ${BNFC_ZMQ_LIB}
  INTERFACE_INCLUDE_DIRECTORIES ${BNFC_ZMQ_INCLUDE}
  INTERFACE_COMPILE_DEFINITIONS ZMQ_STATIC)
# Linked by name so that a -static link picks libsodium.a and a normal link the shared one.
set_property(TARGET bnfc_zmq PROPERTY INTERFACE_LINK_LIBRARIES sodium Threads::Threads)
add_dependencies(bnfc_zmq zmq_static_build)
