// Deterministic parallel loops: work is cut into fixed chunks that do not depend on the thread
// count; results are written per chunk and reduced in chunk order by the caller.
#pragma once
#include <cstddef>
#include <functional>

namespace ayslab {

// 0 means "all hardware threads".
std::size_t resolve_threads(std::size_t requested);

// Calls body(chunk) for chunk in [0, chunks) on up to `threads` threads. Exceptions thrown by the
// body are re-thrown (the first one, by chunk order) after all threads finish.
void parallel_for(std::size_t chunks, std::size_t threads, const std::function<void(std::size_t)>& body);

// Number of chunks of size at most chunk_size covering n items.
constexpr std::size_t chunk_count(std::size_t n, std::size_t chunk_size) {
    return (n + chunk_size - 1) / chunk_size;
}

}  // namespace ayslab
