// cluster.hpp across 2 MPI ranks (run by CTest under mpirun -np 2): blocks are shared byte for byte,
// an error on one rank reaches every rank with its type, and the sampler gives the particles a single
// process gives (the observer path runs every chunk locally, the plain path splits them over ranks).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ayslab/cluster.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/sharded.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

TEST_CASE("two ranks share their chunks with every rank") {
    REQUIRE(cluster::ranks() == 2);
    const std::size_t n = 1003, chunk = 10, chunks = chunk_count(n, chunk);
    std::vector<double> out(n, -1.0);
    std::vector<std::size_t> ran_here(chunks, 0);
    cluster::distributed_for(chunks, 2, std::span(out), chunk, [&](std::size_t c) {
        ran_here[c] = 1;
        for (std::size_t i = c * chunk; i < std::min(n, c * chunk + chunk); ++i) out[i] = 0.1 * double(i);
    });
    for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i] == 0.1 * double(i));
    std::size_t mine = 0;
    for (auto r : ran_here) mine += r;
    const auto b = cluster::my_block(chunks);
    CHECK(mine == b.last - b.first);  // each rank computed only its own block
    CHECK(mine < chunks);
}

TEST_CASE("an error on rank 1 alone reaches rank 0 with its type and message") {
    const std::size_t chunks = 8;  // rank 1 owns chunks 4..7
    bool caught = false;
    try {
        cluster::for_my_chunks(chunks, 1, [](std::size_t c) {
            if (c == 6) throw NumericalError("chunk 6 broke");
        });
    } catch (const NumericalError& e) {
        caught = true;
        const std::string what = e.what();
        CHECK(what.find("chunk 6 broke") != std::string::npos);
        if (cluster::rank() == 0) CHECK(what.find("(on rank 1)") != std::string::npos);
    }
    CHECK(caught);
    // The ranks are still in step: a later collective works.
    std::vector<double> v(4, double(cluster::rank()));
    cluster::distributed_for(4, 1, std::span(v), 1, [&](std::size_t c) { v[c] = double(c); });
    CHECK(v == std::vector<double>{0, 1, 2, 3});
}

TEST_CASE("sampling split over ranks gives a single process's particles, bit for bit") {
    DatasetOptions o;
    const auto ring = make_dataset("ring8", o);
    const std::size_t n = 3001, d = 2;
    for (const std::string name : {"euler", "linearised-sde", "dpmpp-2m-sde"}) {
        CAPTURE(name);
        const auto solver = make_solver(name);
        std::vector<double> split(n * d), local(n * d);
        sample_marginal(*ring.data, 80.0, split, n, 5, 1);
        local = split;
        const auto schedule = karras(10, 0.002, 80.0);
        sample(ring.data->denoiser(), *solver, schedule, split, n, {5, 1, 97});
        sample(ring.data->denoiser(), *solver, schedule, local, n, {5, 1, 97},
               [](std::size_t, std::size_t, std::size_t, double, std::span<const double>) {});
        CHECK(split == local);
    }
}

TEST_CASE("a data set sharded over the ranks gives the unsharded denoiser, density and draws") {
    const std::size_t d = 16, total = 3000, n = 130;
    std::vector<double> y(total * d), x(n * d);
    fill_normal_flat(1, 98, 0, 0, y);
    fill_normal_flat(2, 98, 0, 0, x);
    const EmpiricalData whole(y, d);
    const ShardedEmpiricalData sharded(y, d, 4, 1);  // rank 0 holds shards 0-1, rank 1 shards 2-3
    for (double sigma : {0.1, 1.0, 10.0}) {
        std::vector<double> a(n * d), b(n * d), la(n), lb(n);
        whole.denoise(x, n, sigma, a);
        sharded.denoise(x, n, sigma, b);
        for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(std::abs(a[i] - b[i]) < 1e-12);
        whole.log_density_rows(x, n, sigma, la);
        sharded.log_density_rows(x, n, sigma, lb);
        for (std::size_t i = 0; i < n; ++i) REQUIRE(std::abs(la[i] - lb[i]) < 1e-9);
    }
    std::vector<double> sa(50 * d), sb(50 * d);
    whole.sample(50, 4, 0, sa);
    sharded.sample(50, 4, 0, sb);
    CHECK(sa == sb);
    // The sampler over a collective denoiser: every rank runs every chunk and gets the same particles.
    std::vector<double> p(200 * d);
    sample_marginal(sharded, 5.0, p, 200, 3, 1);
    sample(sharded, *make_solver("euler"), karras(5, 0.05, 5.0), p, 200, {3, 1, 64});
    std::vector<double> q(200 * d);
    sample_marginal(whole, 5.0, q, 200, 3, 1);
    sample(whole, *make_solver("euler"), karras(5, 0.05, 5.0), q, 200, {3, 1, 64});
    for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(std::abs(p[i] - q[i]) < 1e-9);
}

int main(int argc, char** argv) {
    cluster::Session mpi(argc, argv);
    doctest::Context context(argc, argv);
    return context.run();
}
