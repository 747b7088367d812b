// Which instruction-set copy of a kernel to run (the mixture kernels, the Box-Muller normals): every
// copy gives the same bits, so this only changes the speed. AYSLAB_ISA=baseline|avx2|avx512 caps the
// choice (to time and compare the copies on one machine); another value is an InputError.
// Internal to lib/src.
#pragma once

namespace ayslab::detail {

bool have_avx2();
bool have_avx512();  // F, DQ, VL and BW (the copies' -m flags)

}  // namespace ayslab::detail
