// Includes for mixture_kernel.inl.
#pragma once
#include <algorithm>
#include <limits>
#include <vector>

#include "ayslab/fast_exp.hpp"
#include "mixture_kernel.hpp"
