# INTERFACE target carrying the project's warning flags (linked privately by every target).
add_library(ayslab_warnings INTERFACE)
target_compile_options(ayslab_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
if(AYSLAB_WERROR)
  target_compile_options(ayslab_warnings INTERFACE -Werror)
endif()
