# Install rules and the CMake package, so that users can
#
#   cmake --install <build> --prefix <prefix>
#   find_package(gort CONFIG REQUIRED)   # with <prefix> in CMAKE_PREFIX_PATH
#   target_link_libraries(app PRIVATE gort::gort)
#
# and #include <gort/gort.hpp>, exactly as after add_subdirectory(gort)
# (API.md). Included by the top-level CMakeLists.txt after the gort target is
# defined. tests/install checks both ways of consuming gort.
#
# Layout of an install:
#   <prefix>/include/gort/*.hpp            every module's public headers
#   <prefix>/lib/libgort.a                 (libgort.so with BUILD_SHARED_LIBS)
#   <prefix>/lib/cmake/gort/gortConfig.cmake, gortConfigVersion.cmake,
#                           gortTargets*.cmake
#
# gort links Boost.Context and hwloc PRIVATEly, but a static library's private
# dependencies are still needed at the consumer's link: the export records
# them as $<LINK_ONLY:Boost::context> and $<LINK_ONLY:PkgConfig::HWLOC>, and
# gortConfig.cmake finds them again under the same target names.
option(GORT_INSTALL "Generate gort's install rules" ${PROJECT_IS_TOP_LEVEL})
if(NOT GORT_INSTALL)
  return()
endif()

include(CMakePackageConfigHelpers)

set(GORT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/gort"
    CACHE STRING "Where gortConfig.cmake is installed, relative to the prefix")
mark_as_advanced(GORT_INSTALL_CMAKEDIR)

# Public headers: every module's include/gort/*.hpp goes to one include/gort,
# so two modules must not both have a header of the same name.
file(GLOB GORT_PUBLIC_HEADERS CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/runtime/include/gort/*.hpp"
     "${PROJECT_SOURCE_DIR}/sched/include/gort/*.hpp"
     "${PROJECT_SOURCE_DIR}/chan/include/gort/*.hpp"
     "${PROJECT_SOURCE_DIR}/sync/include/gort/*.hpp"
     "${PROJECT_SOURCE_DIR}/net/include/gort/*.hpp")
set(_gort_header_names "")
foreach(header IN LISTS GORT_PUBLIC_HEADERS)
  get_filename_component(name "${header}" NAME)
  if(name IN_LIST _gort_header_names)
    message(FATAL_ERROR "gort: two modules have a public header named "
                        "gort/${name}; they would collide when installed")
  endif()
  list(APPEND _gort_header_names "${name}")
endforeach()
unset(_gort_header_names)

install(FILES ${GORT_PUBLIC_HEADERS}
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/gort"
        COMPONENT gort_development)

install(TARGETS gort
        EXPORT gortTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
                COMPONENT gort_development
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
                COMPONENT gort_runtime
                NAMELINK_COMPONENT gort_development
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
                COMPONENT gort_runtime)
# (The include directory comes from gort's $<INSTALL_INTERFACE:...>.)

install(EXPORT gortTargets
        NAMESPACE gort::
        FILE gortTargets.cmake
        DESTINATION "${GORT_INSTALL_CMAKEDIR}"
        COMPONENT gort_development)

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/gortConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/gortConfig.cmake"
  INSTALL_DESTINATION "${GORT_INSTALL_CMAKEDIR}")
# 0.x: a minor version may break the API, so only the same minor matches.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/gortConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/gortConfig.cmake"
              "${PROJECT_BINARY_DIR}/gortConfigVersion.cmake"
        DESTINATION "${GORT_INSTALL_CMAKEDIR}"
        COMPONENT gort_development)
