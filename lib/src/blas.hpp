// OpenBLAS stays single-threaded per call: our own threads parallelise over particles, and results
// stay deterministic. Internal to lib/src.
#pragma once
#include <cblas.h>

#include <mutex>

namespace ayslab::detail {

inline void single_threaded_blas() {
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}

}  // namespace ayslab::detail
