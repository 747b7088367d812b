// cluster.hpp for a build without MPI: one rank, everything local.
#include "ayslab/cluster.hpp"
#include "ayslab/parallel.hpp"

namespace ayslab::cluster {

Session::Session(int&, char**&) {}
Session::~Session() = default;
bool built_with_mpi() { return false; }
std::size_t rank() { return 0; }
std::size_t ranks() { return 1; }
std::size_t ranks_on_this_node() { return 1; }

void on_every_rank(const std::function<void()>& body) { body(); }
std::string from_rank0(const std::string& value) { return value; }

void for_my_chunks(std::size_t chunks, std::size_t threads, const std::function<void(std::size_t)>& body) {
    parallel_for(chunks, threads, body);
}

void share_bytes(std::span<std::byte>, std::size_t, std::size_t) {}

void share_rows(std::span<double>, std::size_t, std::span<const std::uint32_t>) {}

}  // namespace ayslab::cluster
