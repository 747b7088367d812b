// The mixture kernels compiled with AVX-512 (F, DQ, VL, BW) and -ffp-contract=off: the same bits as
// the baseline copy.
#include "mixture_kernel_common.hpp"

#define AYSLAB_KERNEL_NS avx512
#include "mixture_kernel.inl"
// 32 zmm registers: 4 x 4 accumulators, 4 means and the row broadcasts.
#define AYSLAB_VECTOR_BYTES 64
#define AYSLAB_FUSED_ROWS 4
#define AYSLAB_FUSED_COLS 4
#include "mixture_fused.inl"
