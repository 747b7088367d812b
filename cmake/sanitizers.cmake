# INTERFACE target: ASan + UBSan when AYSLAB_SANITIZE is ON (configure with -DAYSLAB_SANITIZE=ON).
add_library(ayslab_sanitizers INTERFACE)
if(AYSLAB_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_compile_options(ayslab_sanitizers INTERFACE ${_san})
  target_link_options(ayslab_sanitizers INTERFACE ${_san})
endif()
