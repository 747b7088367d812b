// Includes for mixture_kernel.inl and mixture_fused.inl.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "ayslab/fast_exp.hpp"
#include "mixture_kernel.hpp"
