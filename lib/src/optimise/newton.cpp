#include "ayslab/optimise/newton.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"

namespace ayslab {

namespace {

struct Counted {
    const Objective& f;
    std::atomic<std::size_t> calls{0};
    double operator()(std::span<const double> x) {
        ++calls;
        const double v = f(x);
        return std::isnan(v) ? std::numeric_limits<double>::infinity() : v;
    }
};

double max_abs(const std::vector<double>& v) {
    double m = 0.0;
    for (double a : v) m = std::max(m, std::abs(a));
    return m;
}

// Fourth-order central differences: g_i = (-f(+2h) + 8 f(+h) - 8 f(-h) + f(-2h)) / 12h. The larger h
// this allows keeps rounding noise low (error ~ eps f / h + h^4 f^(5)).
std::vector<double> gradient(Counted& f, const std::vector<double>& x, double h, std::size_t threads) {
    const std::size_t n = x.size();
    std::vector<double> g(n);
    parallel_for(n, threads, [&](std::size_t i) {
        std::vector<double> y = x;
        auto at = [&](double a) {
            y[i] = x[i] + a;
            return f(y);
        };
        g[i] = (-at(2.0 * h) + 8.0 * at(h) - 8.0 * at(-h) + at(-2.0 * h)) / (12.0 * h);
    });
    return g;
}

// Four-point second differences for every pair (i <= j).
std::vector<double> hessian(Counted& f, const std::vector<double>& x, double h, std::size_t threads) {
    const std::size_t n = x.size();
    std::vector<double> hess(n * n);
    parallel_for(n, threads, [&](std::size_t i) {
        std::vector<double> y = x;
        for (std::size_t j = i; j < n; ++j) {
            auto at = [&](double a, double b) {
                y = x;
                y[i] += a;
                y[j] += b;
                return f(y);
            };
            const double v = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4.0 * h * h);
            hess[i * n + j] = hess[j * n + i] = v;
        }
    });
    return hess;
}

// Solves A p = b for symmetric A by Cholesky; false if A is not positive definite.
bool cholesky_solve(std::vector<double> a, std::vector<double> b, std::size_t n, std::vector<double>& p) {
    for (std::size_t j = 0; j < n; ++j) {
        double diag = a[j * n + j];
        for (std::size_t k = 0; k < j; ++k) diag -= a[j * n + k] * a[j * n + k];
        if (!(diag > 0.0)) return false;
        const double l = std::sqrt(diag);
        a[j * n + j] = l;
        for (std::size_t i = j + 1; i < n; ++i) {
            double v = a[i * n + j];
            for (std::size_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = v / l;
        }
    }
    for (std::size_t i = 0; i < n; ++i) {  // L y = b
        for (std::size_t k = 0; k < i; ++k) b[i] -= a[i * n + k] * b[k];
        b[i] /= a[i * n + i];
    }
    for (std::size_t i = n; i-- > 0;) {  // L^T p = y
        for (std::size_t k = i + 1; k < n; ++k) b[i] -= a[k * n + i] * b[k];
        b[i] /= a[i * n + i];
    }
    p = std::move(b);
    return true;
}

}  // namespace

NewtonResult minimise_newton(const Objective& objective, std::vector<double> x,
                             const NewtonOptions& options) {
    const std::size_t n = x.size();
    Counted f{objective};
    NewtonResult result;
    double fx = f(x);
    if (!std::isfinite(fx)) throw InputError("minimise_newton: the start point is infeasible");
    if (n == 0) {
        result.x = x;
        result.value = fx;
        result.converged = true;
        result.evaluations = f.calls;
        return result;
    }
    double lambda = 1e-3;
    std::vector<double> p;
    std::size_t it = 0;
    bool converged = false;
    for (; it < options.max_iterations && !converged; ++it) {
        const auto g = gradient(f, x, options.gradient_step, options.threads);
        const auto h = hessian(f, x, options.hessian_step, options.threads);
        double diag_max = 0.0;
        for (std::size_t i = 0; i < n; ++i) diag_max = std::max(diag_max, std::abs(h[i * n + i]));
        bool accepted = false;
        while (lambda < 1e16) {
            auto a = h;
            for (std::size_t i = 0; i < n; ++i)
                a[i * n + i] += lambda * std::max(std::abs(h[i * n + i]), 1e-12 * diag_max + 1e-300);
            std::vector<double> minus_g(n);
            for (std::size_t i = 0; i < n; ++i) minus_g[i] = -g[i];
            if (!cholesky_solve(a, minus_g, n, p)) {
                lambda = std::max(lambda * 10.0, 1e-12);
                continue;
            }
            std::vector<double> y(n);
            for (std::size_t i = 0; i < n; ++i) y[i] = x[i] + p[i];
            const double fy = f(y);
            if (fy <= fx) {
                x = std::move(y);
                fx = fy;
                lambda = std::max(lambda / 10.0, 1e-15);
                accepted = true;
                break;
            }
            if (max_abs(p) < options.step_tolerance) break;  // rounding-level: nothing left to gain
            lambda *= 10.0;
        }
        if (!accepted || max_abs(p) < options.step_tolerance) converged = true;
    }
    // Polish: undamped Newton steps accepted while the gradient shrinks (function values are at
    // rounding level here; the gradient still carries information).
    auto g = gradient(f, x, options.gradient_step, options.threads);
    for (int k = 0; k < 5; ++k) {
        const auto h = hessian(f, x, options.hessian_step, options.threads);
        std::vector<double> minus_g(n);
        for (std::size_t i = 0; i < n; ++i) minus_g[i] = -g[i];
        if (!cholesky_solve(h, minus_g, n, p)) break;
        std::vector<double> y(n);
        for (std::size_t i = 0; i < n; ++i) y[i] = x[i] + p[i];
        const double fy = f(y);
        if (!std::isfinite(fy)) break;
        const auto gy = gradient(f, y, options.gradient_step, options.threads);
        if (!(max_abs(gy) < max_abs(g))) break;
        x = std::move(y);
        fx = std::min(fx, fy);
        g = gy;
        fx = fy;
    }
    result.x = std::move(x);
    result.value = fx;
    result.gradient_norm = max_abs(g);
    result.iterations = it;
    result.evaluations = f.calls;
    result.converged = converged;
    return result;
}

}  // namespace ayslab
