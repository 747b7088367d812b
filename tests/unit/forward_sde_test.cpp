// Forward-SDE Euler-Maruyama against the exact moment recursion of the discretised chain
// (m' = (1 + f h) m, v' = (1 + f h)^2 v + g^2 h), 4 SE, seed 8.
#include "ayslab/process/forward_sde.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/stats.hpp"

using namespace ayslab;

TEST_CASE("EM moments match the chain's exact recursion (VP, 50 steps, 10^5 paths)") {
    const auto vp = make_process("vp");
    const std::size_t n = 100000, steps = 50;
    std::vector<double> x0(n, 1.0), rec(n * 2);
    const std::size_t record[] = {10, 50};
    const ForwardSdeRun runs[] = {{1, rec}};
    forward_sde_paths(*vp, x0, n, 1, {0.0, 1.0, steps}, record, 8, 0, runs);
    double m = 1.0, v = 0.0;
    const double h = 1.0 / static_cast<double>(steps);
    for (std::size_t k = 0; k < steps; ++k) {
        const double a = 1 + vp->f(static_cast<double>(k) * h) * h;
        m *= a;
        v = a * a * v + vp->g2(static_cast<double>(k) * h) * h;
        if (k + 1 == 10 || k + 1 == 50) {
            const std::size_t r = (k + 1 == 10) ? 0 : 1;
            Moments mo(m);
            for (std::size_t i = 0; i < n; ++i) mo.add(rec[i * 2 + r]);
            CHECK(std::abs(mo.mean() - m) < 4 * mo.se_mean());
            CHECK(std::abs(mo.variance() - v) < 4 * mo.se_variance());
        }
    }
}

TEST_CASE("a coarse run sees the same Brownian path: with f = 0 the end points agree") {
    const auto ve = make_process("ve");
    // VE has f = 0, so x_T = x_0 + sum g_k dW_k; with g evaluated per coarse step the sums differ,
    // but the fine increments are shared: check at one step (m = steps) against the fine sum.
    std::vector<double> x0 = {0.0, 0.0}, fine(2), coarse(2);
    const std::size_t record[] = {4};
    const ForwardSdeRun runs[] = {{1, fine}, {4, coarse}};
    forward_sde_paths(*ve, x0, 2, 1, {0.0, 1e-9, 4}, record, 3, 0, runs);  // g nearly constant
    CHECK(fine[0] == doctest::Approx(coarse[0]).epsilon(1e-6));
    CHECK(fine[1] == doctest::Approx(coarse[1]).epsilon(1e-6));
}

// Paths are simulated in blocks side by side; a path's record must not depend on its block (n = 19: a
// full block of 16 and a partial one; d = 3). Faults caught: a coordinate or path offset wrong inside
// the block, the partial block reading the previous block's draws, records written to the wrong row.
TEST_CASE("each path's record is the same simulated alone or in a block (d = 3, n = 19, two runs)") {
    const auto vp = make_process("vp");
    const std::size_t n = 19, d = 3, R = 2;
    std::vector<double> x0(n * d);
    for (std::size_t e = 0; e < x0.size(); ++e) x0[e] = 0.1 * static_cast<double>(e) - 2.0;
    const std::size_t record[] = {6, 12};
    std::vector<double> fine(n * R * d), coarse(n * R * d);
    const ForwardSdeRun runs[] = {{1, fine}, {3, coarse}};
    forward_sde_paths(*vp, x0, n, d, {0.0, 1.0, 12}, record, 5, 100, runs);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<double> f1(R * d), c1(R * d);
        const ForwardSdeRun one[] = {{1, f1}, {3, c1}};
        forward_sde_paths(*vp, std::span(x0).subspan(i * d, d), 1, d, {0.0, 1.0, 12}, record, 5, 100 + i, one);
        for (std::size_t e = 0; e < R * d; ++e) {
            CHECK(fine[i * R * d + e] == f1[e]);
            CHECK(coarse[i * R * d + e] == c1[e]);
        }
    }
    CHECK(fine[0] != fine[R * d]);  // different paths got different draws
}

TEST_CASE("bad grids are input errors") {
    const auto vp = make_process("vp");
    std::vector<double> x0(1), rec(1);
    const std::size_t record[] = {3};
    const ForwardSdeRun runs[] = {{2, rec}};
    CHECK_THROWS_AS(forward_sde_paths(*vp, x0, 1, 1, {0.0, 1.0, 4}, record, 0, 0, runs), InputError);
}
