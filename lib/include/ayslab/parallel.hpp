// Deterministic parallel loops: work is cut into fixed chunks that do not depend on the thread
// count; results are written per chunk and reduced in chunk order by the caller.
#pragma once
#include <cstddef>
#include <functional>

namespace ayslab {

// 0 means "all hardware threads".
std::size_t resolve_threads(std::size_t requested);

// Calls body(chunk) for chunk in [0, chunks) on up to `threads` threads. Exceptions thrown by the
// body are re-thrown (the first one, by chunk order) after all threads finish. While it runs on k > 1
// threads, each of them holds a share of resolve_threads(threads) / k cores (at least 1) for work
// nested inside the body (inner_threads).
void parallel_for(std::size_t chunks, std::size_t threads, const std::function<void(std::size_t)>& body);

// The threads work nested at this point may use (a model's intra-op threads, say): inside a worker of
// a parallel_for running on k > 1 threads, that loop's share (its threads / k, at least 1); elsewhere
// resolve_threads(requested). How ayslab splits the cores between its workers and LibTorch's: a model
// called from one thread gets all of them, one called from k workers at once gets 1/k each.
std::size_t inner_threads(std::size_t requested);

// Number of chunks of size at most chunk_size covering n items.
constexpr std::size_t chunk_count(std::size_t n, std::size_t chunk_size) {
    return (n + chunk_size - 1) / chunk_size;
}

}  // namespace ayslab
