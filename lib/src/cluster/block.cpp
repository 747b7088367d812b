// The parts of cluster.hpp that do not depend on MPI.
#include "ayslab/cluster.hpp"

namespace ayslab::cluster {

Block block_of(std::size_t chunks, std::size_t r, std::size_t p) {
    const std::size_t base = chunks / p, extra = chunks % p;
    const std::size_t first = r * base + (r < extra ? r : extra);
    return {first, first + base + (r < extra ? 1 : 0)};
}

}  // namespace ayslab::cluster
