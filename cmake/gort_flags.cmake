# gort_apply_flags(target): the one place that sets warnings and sanitizer
# flags, so that the library, the tests, the examples and the tools are all
# built the same way (STYLE.md, "Build").
#
#   GORT_SANITIZE  ""      no sanitizer
#                  asan    AddressSanitizer + UndefinedBehaviorSanitizer
#                  tsan    ThreadSanitizer
#   GORT_WERROR    ON      warnings are errors (CI sets it)
set(GORT_SANITIZE "" CACHE STRING "Sanitizer: empty, asan (ASan+UBSan) or tsan")
set_property(CACHE GORT_SANITIZE PROPERTY STRINGS "" asan tsan)
option(GORT_WERROR "Treat warnings as errors" OFF)

if(GORT_SANITIZE STREQUAL "asan")
  set(GORT_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
elseif(GORT_SANITIZE STREQUAL "tsan")
  set(GORT_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT GORT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "GORT_SANITIZE must be empty, asan or tsan, not '${GORT_SANITIZE}'")
endif()

function(gort_apply_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wconversion -Wno-sign-conversion)
  if(GORT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(GORT_SANITIZE_FLAGS)
    target_compile_options(${target} PRIVATE ${GORT_SANITIZE_FLAGS})
    target_link_options(${target} PRIVATE ${GORT_SANITIZE_FLAGS})
  endif()
endfunction()
