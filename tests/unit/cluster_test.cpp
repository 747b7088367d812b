// cluster.hpp on one process: the rank blocks tile the chunks, and a single rank runs and keeps all.
// (The same calls across 2 MPI ranks are tested by tests/mpi under mpirun.)
#include "ayslab/cluster.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"

using namespace ayslab;

TEST_CASE("rank blocks tile the chunks in order, sizes differing by at most one") {
    for (std::size_t chunks : {0u, 1u, 2u, 7u, 64u, 1001u})
        for (std::size_t p : {1u, 2u, 3u, 8u, 13u}) {
            CAPTURE(chunks);
            CAPTURE(p);
            std::size_t next = 0, smallest = chunks, largest = 0;
            for (std::size_t r = 0; r < p; ++r) {
                const auto b = cluster::block_of(chunks, r, p);
                CHECK(b.first == next);
                CHECK(b.last >= b.first);
                next = b.last;
                smallest = std::min(smallest, b.last - b.first);
                largest = std::max(largest, b.last - b.first);
            }
            CHECK(next == chunks);
            CHECK(largest - smallest <= 1);
        }
}

TEST_CASE("one rank: every chunk runs here and errors keep their type") {
    REQUIRE(cluster::ranks() == 1);
    std::vector<double> out(103, -1.0);
    cluster::distributed_for(chunk_count(103, 10), 2, std::span(out), 10, [&](std::size_t c) {
        for (std::size_t i = c * 10; i < std::min<std::size_t>(103, c * 10 + 10); ++i) out[i] = double(i);
    });
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == double(i));
    CHECK_THROWS_AS(cluster::for_my_chunks(5, 2,
                                           [](std::size_t c) {
                                               if (c == 3) throw NumericalError("chunk 3");
                                           }),
                    NumericalError);
}
