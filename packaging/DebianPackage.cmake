# The Debian package, built from the install rules by CPack:
#
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build && (cd build && cpack -G DEB)
#
# One binary package, "taskqueue": programs, library, headers, CMake and
# pkg-config files, plugins, units, man pages, completions. Its run-time
# dependencies come from dpkg-shlibdeps; the maintainer scripts create the
# system user and, only under a running systemd, enable the service.
# (Included from packaging/CMakeLists.txt; paths are relative to it.)

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "Debian package: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; "
                 "configure with -DCMAKE_INSTALL_PREFIX=/usr for a package with Debian's layout")
endif()

set(CPACK_PACKAGE_NAME taskqueue)
set(CPACK_PACKAGE_VENDOR "taskqueue")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "taskqueue maintainers <taskqueue@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "local, file-backed task queue and scheduler")
set(CPACK_PACKAGE_DESCRIPTION
    "taskqueue queues commands and runs them in the background, one queue per\n"
    "state directory, persisted in SQLite so that no acknowledged task is lost.\n"
    "It ships the daemon taskqueued (system service and per-user service), the\n"
    "client taskqueuectl, the libtaskqueue library with its headers, CMake\n"
    "package and pkg-config file, and the standard processor plugins.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Shared-library dependencies (libsqlite3, libspdlog, libfmt, libstdc++,
# libsystemd, ...) as dpkg-shlibdeps computes them; the package's own
# libtaskqueue.so.N is found in the staging tree.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_INSTALL_FULL_LIBDIR})
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# The postinst creates the system user with systemd-sysusers, else adduser.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")

# Maintainer scripts and the conffile list, with the configured paths.
set(TASKQUEUE_DEBIAN_CONTROL_EXTRA)
foreach(script postinst prerm postrm conffiles triggers)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/${script}.in
                 ${CMAKE_CURRENT_BINARY_DIR}/debian/${script} @ONLY)
  list(APPEND TASKQUEUE_DEBIAN_CONTROL_EXTRA ${CMAKE_CURRENT_BINARY_DIR}/debian/${script})
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${TASKQUEUE_DEBIAN_CONTROL_EXTRA})
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
