// Deterministic samplers: LMS, DPM-Solver++(2M), DPM-Solver++(3M), adaptive Dormand-Prince
// (DPM-Solver-2: two_stage_steps.cpp). Formulas as in k-diffusion's sampling.py, in sigma with t = -log sigma.
#include <algorithm>
#include <array>
#include <boost/numeric/odeint.hpp>
#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/solver/steps.hpp"
#include "ayslab/solver/updates.hpp"
#include "dpmpp_3m.hpp"

namespace ayslab {

std::pair<double, double> ancestral_step(double sigma, double sigma_next, double eta) {
    if (eta == 0.0 || sigma_next == 0.0) return {sigma_next, 0.0};
    const double up =
        std::min(sigma_next, eta * std::sqrt(sigma_next * sigma_next *
                                             (sigma * sigma - sigma_next * sigma_next) / (sigma * sigma)));
    return {std::sqrt(sigma_next * sigma_next - up * up), up};
}

// LMS: x += sum_j c_j slope_{i-j}, c_j the integral over [sigma, sigma_next] of the Lagrange basis
// polynomial of the last (up to 4) sigmas (exact 4-point Gauss-Legendre: degree <= 3).
std::size_t LmsSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                            const StepContext& ctx) {
    const std::size_t m = x.size(), order = 4;
    auto d = buffer(0, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    for (std::size_t k = 0; k < m; ++k) d[k] = eps_from_denoised(x[k], d[k], sigma);  // the slope dx/dsigma, in place
    history_.push(sigma, d, order);
    const std::size_t q = history_.size();  // current order
    static constexpr std::array<double, 4> gx = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563,
                                                 0.8611363115940526};
    static constexpr std::array<double, 4> gw = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461,
                                                 0.3478548451374538};
    std::array<double, 4> coeff{};
    for (std::size_t j = 0; j < q; ++j)
        for (std::size_t g = 0; g < 4; ++g) {
            const double tau = 0.5 * (sigma + sigma_next) + 0.5 * (sigma_next - sigma) * gx[g];
            double basis = 1.0;
            for (std::size_t k = 0; k < q; ++k)
                if (k != j) basis *= (tau - history_.sigma(k)) / (history_.sigma(j) - history_.sigma(k));
            coeff[j] += 0.5 * (sigma_next - sigma) * gw[g] * basis;
        }
    for (std::size_t j = 0; j < q; ++j) {
        const auto slope = history_.values(j);
        for (std::size_t k = 0; k < m; ++k) x[k] += coeff[j] * slope[k];
    }
    return 1;
}

// DPM-Solver++(2M): DDIM with the denoised value extrapolated from the previous step.
std::size_t Dpmpp2mSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    const double ratio = sigma_next / sigma, a = -std::expm1(std::log(ratio));  // 1 - sigma_next/sigma
    if (history_.size() == 0 || sigma_next == 0.0) {
        for (std::size_t k = 0; k < m; ++k) x[k] = ratio * x[k] + a * d[k];
    } else {
        const double h = std::log(sigma / sigma_next), h_last = std::log(history_.sigma(0) / sigma);
        const double r = h_last / h;
        const auto old = history_.values(0);
        for (std::size_t k = 0; k < m; ++k) {
            const double dd = (1.0 + 1.0 / (2.0 * r)) * d[k] - (1.0 / (2.0 * r)) * old[k];
            x[k] = ratio * x[k] + a * dd;
        }
    }
    history_.push(sigma, d, 1);
    return 1;
}

// DPM-Solver++(3M) (k-diffusion's 3M SDE with eta = 0): first and second divided differences of D
// in t = -log sigma, with phi_2 = expm1(-h)/h + 1, phi_3 = phi_2/h - 1/2. The second difference
// d2 ~ h^2 D''/2 needs the weight 2 phi_3 (~ -h/3) to match int e^{u-h} u^2/2 du ~ h^3/6: with it the
// step is exact for D quadratic in t (tested); k-diffusion's weight phi_3 is kept as an option.
std::size_t Dpmpp3mSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                const StepContext& ctx) {
    auto d = buffer(0, x.size());
    ctx.denoiser.denoise(x, n, sigma, d);
    if (sigma_next == 0.0)
        std::copy(d.begin(), d.end(), x.begin());
    else
        detail::dpmpp_3m_update(x, d, history_, sigma, sigma_next, 0.0, o_.kdiffusion_3m);
    history_.push(sigma, d, 2);
    return 1;
}

std::size_t Dopri5Solver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                               const StepContext& ctx) {
    namespace odeint = boost::numeric::odeint;
    if (sigma_next == 0.0) throw InputError("dopri5 integrates in log sigma: the schedule must end above 0");
    using State = std::vector<double>;
    State y(x.begin(), x.end()), den(x.size());
    std::size_t evaluations = 0;
    // dx/du = x - D(x; e^u), u = log sigma (integrated downwards).
    auto rhs = [&](const State& u, State& du, double logsig) {
        ctx.denoiser.denoise(u, n, std::exp(logsig), den);
        ++evaluations;
        for (std::size_t k = 0; k < u.size(); ++k) du[k] = u[k] - den[k];
    };
    auto stepper = odeint::make_controlled(o_.atol, o_.rtol, odeint::runge_kutta_dopri5<State>());
    const double u0 = std::log(sigma), u1 = std::log(sigma_next);
    odeint::integrate_adaptive(stepper, rhs, y, u0, u1, (u1 - u0) / 8.0);
    std::copy(y.begin(), y.end(), x.begin());
    return evaluations;
}

}  // namespace ayslab
