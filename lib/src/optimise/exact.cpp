#include "ayslab/optimise/exact.hpp"

#include <cmath>
#include <limits>

#include "ayslab/divergence/kl.hpp"
#include "ayslab/divergence/klub.hpp"

namespace ayslab {

namespace {

// Minimises objective(schedule) over the interior log sigmas, end points fixed.
template <class F>
ExactOptimum optimise_interior(const Schedule& start, F objective, const NewtonOptions& options) {
    const std::size_t n = start.size();
    const double hi = start.sigma_max(), lo = start.sigma_min();
    auto to_schedule = [&](std::span<const double> log_interior, std::vector<double>& sig) {
        sig.front() = hi;
        sig.back() = lo;
        for (std::size_t i = 0; i + 2 < n; ++i) sig[i + 1] = std::exp(log_interior[i]);
        for (std::size_t i = 1; i < n; ++i)
            if (!(sig[i] < sig[i - 1])) return false;
        return true;
    };
    const Objective kl = [&](std::span<const double> y) {
        std::vector<double> sig(n);
        if (!to_schedule(y, sig)) return std::numeric_limits<double>::infinity();
        return objective(Schedule(std::move(sig)));
    };
    std::vector<double> y0(n - 2);
    for (std::size_t i = 0; i + 2 < n; ++i) y0[i] = std::log(start[i + 1]);
    auto result = minimise_newton(kl, y0, options);
    std::vector<double> sig(n);
    to_schedule(result.x, sig);
    Schedule best(std::move(sig));
    const double value = objective(best);
    return {std::move(best), value, std::move(result)};
}

}  // namespace

ExactOptimum optimise_exact_kl(const Solver& solver, const Schedule& start, const DiagonalGaussian& data,
                               const NewtonOptions& options) {
    return optimise_interior(
        start, [&](const Schedule& s) { return exact_solver_kl(solver, s, data); }, options);
}

ExactOptimum optimise_klub_gaussian(const Schedule& start, const DiagonalGaussian& data,
                                    const NewtonOptions& options) {
    return optimise_interior(
        start,
        [&](const Schedule& s) {
            double total = 0.0;
            for (double v : klub_schedule_gaussian(s, data.variance())) total += v;
            return total;
        },
        options);
}

}  // namespace ayslab
