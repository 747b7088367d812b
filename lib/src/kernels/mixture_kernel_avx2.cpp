// The mixture kernels compiled with -mavx2 (and no FMA: the same bits as the baseline copy).
#include "mixture_kernel_common.hpp"

#define AYSLAB_KERNEL_NS avx2
#include "mixture_kernel.inl"
// 16 ymm registers: 3 x 2 accumulators, 2 means, a broadcast and products (3 x 2 measured best of 8 tiles).
#define AYSLAB_VECTOR_BYTES 32
#define AYSLAB_FUSED_ROWS 3
#define AYSLAB_FUSED_COLS 2
#include "mixture_fused.inl"
