// The Box-Muller kernel, avx512 copy (compile options in lib/CMakeLists.txt).
#include <cmath>
#include <cstdint>

#include "box_muller.hpp"
#include "normal_kernel.hpp"

#define AYSLAB_KERNEL_NS avx512
#include "normal_kernel.inl"
