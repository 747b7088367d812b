// The Box-Muller kernel, avx2 copy (compile options in lib/CMakeLists.txt).
#include <cmath>
#include <cstdint>

#include "box_muller.hpp"
#include "normal_kernel.hpp"

#define AYSLAB_KERNEL_NS avx2
#include "normal_kernel.inl"
