// The mixture kernels compiled with -mavx2 (and no FMA: the same bits as the baseline copy).
#include "mixture_kernel_common.hpp"

#define AYSLAB_KERNEL_NS avx2
#include "mixture_kernel.inl"
// 16 ymm registers: 2 x 2 vectors of accumulators (8 ymm), 2 vectors of means (4 ymm).
#define AYSLAB_FUSED_ROWS 2
#define AYSLAB_FUSED_COLS 2
#include "mixture_fused.inl"
