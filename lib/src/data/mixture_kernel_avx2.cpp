// The mixture kernel compiled with -mavx2 (and no FMA: the same bits as the baseline copy).
#include "mixture_kernel_common.hpp"

#define AYSLAB_KERNEL_NS avx2
#include "mixture_kernel.inl"
