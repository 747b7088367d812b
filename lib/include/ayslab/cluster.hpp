// MPI scale-out: the work of a deterministic parallel loop (fixed chunks, see parallel.hpp) is cut
// into contiguous blocks of chunks, one block per rank; afterwards the chunk outputs are copied to
// every rank byte for byte. Every rank then holds exactly what a single process would have computed,
// and reduces it in the same chunk order, so the same seed gives the same numbers for any rank count
// and any thread count. Without MPI (not built with it, or not started by mpirun) there is one rank.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>
#include <string>
#include <type_traits>

#include "ayslab/denoisers/denoiser.hpp"

namespace ayslab::cluster {

// Joins the MPI job if this process was started by mpirun/mpiexec and ayslab was built with MPI
// (AYSLAB_MPI); otherwise does nothing. Make one, in main(), before any other call here.
class Session {
  public:
    Session(int& argc, char**& argv);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
};

bool built_with_mpi();
std::size_t rank();
std::size_t ranks();
// Ranks on this machine (for choosing threads per rank).
std::size_t ranks_on_this_node();

// Runs body on every rank. If it throws on any rank, every rank throws: the failing rank its own
// exception, the others the lowest failing rank's error (same type and message, " (on rank R)"
// added), so a bad input seen by one rank (its own data file, its own keys) ends every rank instead of
// leaving the others waiting in a collective call.
void on_every_rank(const std::function<void()>& body);
// Rank 0's value on every rank (a collective call: every rank must make it).
std::string from_rank0(const std::string& value);

struct Block {
    std::size_t first, last;  // chunks [first, last)
};
// Rank r's contiguous block of [0, chunks) among p ranks (the first chunks % p ranks get one more).
Block block_of(std::size_t chunks, std::size_t r, std::size_t p);
inline Block my_block(std::size_t chunks) { return block_of(chunks, rank(), ranks()); }

// Runs body(c) for the chunks of this rank's block on up to `threads` threads. If the body throws on
// any rank, every rank throws: the failing rank its own exception, the others the lowest failing
// rank's error (same type, same message), so no rank is left waiting in a later collective.
void for_my_chunks(std::size_t chunks, std::size_t threads, const std::function<void(std::size_t)>& body);

// After for_my_chunks: copies every rank's chunks of `data` to all ranks. Chunk c holds the bytes
// [c * chunk_bytes, min((c + 1) * chunk_bytes, data.size())).
void share_bytes(std::span<std::byte> data, std::size_t chunks, std::size_t chunk_bytes);

// Typed form: chunk c holds elements [c * per_chunk, min((c + 1) * per_chunk, data.size())).
template <class T>
void share_chunks(std::span<T> data, std::size_t chunks, std::size_t per_chunk) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (ranks() > 1) share_bytes(std::as_writable_bytes(data), chunks, per_chunk * sizeof(T));
}

// The sum of every rank's value, on every rank (a collective call: every rank must make it). For counts
// of work done in the ranks' own chunks (rows a denoiser evaluated), which each rank sees only its share of.
inline std::uint64_t sum_over_ranks(std::uint64_t mine) {
    if (ranks() == 1) return mine;
    std::vector<std::uint64_t> all(ranks(), 0);
    all[rank()] = mine;  // block_of(p, r, p) is chunk r: each rank owns its own slot
    share_chunks(std::span<std::uint64_t>(all), ranks(), 1);
    std::uint64_t sum = 0;
    for (const auto v : all) sum += v;
    return sum;
}

// Row i of data (rows of `width` values) was written by rank owner[i]; afterwards every rank has
// every row (bytes copied, in row order).
void share_rows(std::span<double> data, std::size_t width, std::span<const std::uint32_t> owner);

// for_my_chunks, then share_chunks of one output array: the common case.
template <class T>
void distributed_for(std::size_t chunks, std::size_t threads, std::span<T> out, std::size_t per_chunk,
                     const std::function<void(std::size_t)>& body) {
    for_my_chunks(chunks, threads, body);
    share_chunks(out, chunks, per_chunk);
}

// Loops whose body calls a denoiser (or a data set's draws / densities, through data.denoiser()):
// the one place a collective callee (Denoiser::collective) is read, and one whose calls would queue
// (Denoiser::concurrent_calls) runs its chunks on one thread. A collective callee needs every
// rank to make the same calls in the same order, so every rank runs every chunk, in order, on this
// thread, and there is nothing to share; otherwise the chunks are split as distributed_for does.
template <class T>
void distributed_for_calling(const Denoiser& callee, std::size_t chunks, std::size_t threads, std::span<T> out,
                             std::size_t per_chunk, const std::function<void(std::size_t)>& body) {
    if (callee.collective()) {
        for (std::size_t c = 0; c < chunks; ++c) body(c);
        return;
    }
    distributed_for(chunks, callee.concurrent_calls() ? threads : 1, out, per_chunk, body);
}
// The same for a loop every rank runs whole (no splitting over ranks): threads, or in order here.
void parallel_for_calling(const Denoiser& callee, std::size_t chunks, std::size_t threads,
                          const std::function<void(std::size_t)>& body);

}  // namespace ayslab::cluster
