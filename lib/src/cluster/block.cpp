// The parts of cluster.hpp that do not depend on MPI.
#include "ayslab/cluster.hpp"

#include "ayslab/parallel.hpp"

namespace ayslab::cluster {

Block block_of(std::size_t chunks, std::size_t r, std::size_t p) {
    const std::size_t base = chunks / p, extra = chunks % p;
    const std::size_t first = r * base + (r < extra ? r : extra);
    return {first, first + base + (r < extra ? 1 : 0)};
}

void parallel_for_calling(const Denoiser& callee, std::size_t chunks, std::size_t threads,
                          const std::function<void(std::size_t)>& body) {
    parallel_for(chunks, callee.collective() || !callee.concurrent_calls() ? 1 : threads, body);
}

}  // namespace ayslab::cluster
