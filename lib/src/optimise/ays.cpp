#include "ayslab/optimise/ays.hpp"

#include <cmath>

#include "ayslab/error.hpp"

namespace ayslab {

Schedule subdivide(const Schedule& schedule) {
    std::vector<double> s;
    for (std::size_t k = 0; k + 1 < schedule.size(); ++k) {
        s.push_back(schedule[k]);
        s.push_back(std::sqrt(schedule[k] * schedule[k + 1]));
    }
    s.push_back(schedule.sigma_min());
    return Schedule(std::move(s));
}

namespace {

// Golden-section minimisation of f on [a, b] (log sigma), `iterations` shrink steps.
template <class F>
double golden_section(F f, double a, double b, std::size_t iterations) {
    const double g = (std::sqrt(5.0) - 1.0) / 2.0;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = f(c), fd = f(d);
    for (std::size_t it = 0; it < iterations; ++it) {
        if (fc < fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    return fc < fd ? c : d;
}

class Stage {
public:
    Stage(const Denoiser& data, const AysOptions& o) : data_(data), o_(o) {}

    // Moves interior point k (1..n-1) to the minimiser of KLUB(k-1) + KLUB(k). The draws for interval
    // slot j are the same for every candidate (common random numbers); sweep-specific seeds keep
    // successive sweeps from overfitting one set of draws.
    void update(std::vector<double>& s, std::size_t k, std::uint64_t seed) const {
        const KlubMonteCarlo mc{o_.samples, seed, o_.proposal_variance, o_.threads};
        const KlubDraws upper = klub_draws(data_, k - 1, mc), lower = klub_draws(data_, k, mc);
        const double hi = s[k - 1], lo = s[k + 1];
        auto f = [&](double log_sigma) {
            const double x = std::exp(log_sigma);
            return klub_interval_mc(data_, x, hi, upper, mc).value + klub_interval_mc(data_, lo, x, lower, mc).value;
        };
        const double a = std::log(lo), b = std::log(hi), margin = 1e-3 * (b - a);
        const double best = golden_section(f, a + margin, b - margin, o_.golden_iterations);
        // Keep the old point unless the new one is better on the same draws.
        if (f(best) < f(std::log(s[k]))) s[k] = std::exp(best);
    }

    KlubEstimate validate(const Schedule& s) const {
        const KlubMonteCarlo mc{o_.validation_samples, o_.seed ^ 0xA5A5A5A5A5A5A5A5ULL, o_.proposal_variance,
                                o_.threads};
        return klub_schedule_mc(data_, s, mc);
    }

private:
    const Denoiser& data_;
    const AysOptions& o_;
};

}  // namespace

AysResult optimise_ays(const Denoiser& data, const Schedule& start, const AysOptions& o, const AysProgress& progress) {
    if (start.ends_at_zero()) throw InputError("AYS needs sigma_min > 0 (the KLUB of a step to sigma = 0 is infinite)");
    if (o.samples < 2 || o.validation_samples < 2) throw InputError("AYS needs at least 2 Monte Carlo samples");
    AysResult result;
    const Stage stage(data, o);
    Schedule current = start;
    std::uint64_t sweep_seed = o.seed;
    for (std::size_t level = 0; level <= o.subdivisions; ++level) {
        const bool refined = level > 0;
        if (refined) current = subdivide(current);
        const std::size_t n = current.steps();
        auto best_klub = stage.validate(current);
        Schedule best = current;
        AysTraceEntry entry{n, 0, best_klub.value, best_klub.standard_error, false};
        result.trace.push_back(entry);
        if (progress) progress(entry);
        std::size_t stale = 0;
        for (std::size_t sweep = 1; sweep <= o.max_sweeps && stale < o.patience; ++sweep) {
            std::vector<double> s(current.sigmas().begin(), current.sigmas().end());
            ++sweep_seed;
            // After a subdivision the first sweep moves only the new points (odd positions).
            for (std::size_t k = 1; k < n; ++k)
                if (!(refined && sweep == 1 && k % 2 == 0)) stage.update(s, k, sweep_seed);
            current = Schedule(std::move(s));
            const auto klub = stage.validate(current);
            const bool improved = klub.value < best_klub.value * (1.0 - o.min_improvement);
            if (klub.value < best_klub.value) {
                best_klub = klub;
                best = current;
            }
            stale = improved ? 0 : stale + 1;
            entry = {n, sweep, klub.value, klub.standard_error, improved};
            result.trace.push_back(entry);
            if (progress) progress(entry);
        }
        current = best;
        result.stages.push_back({best, best_klub});
    }
    return result;
}

}  // namespace ayslab
