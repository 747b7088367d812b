// A small damped-Newton (Levenberg-Marquardt) minimiser with finite-difference derivatives, for
// smooth objectives of a few dozen variables (schedule interiors). Infeasible points return +inf.
#pragma once
#include <functional>
#include <span>
#include <vector>

namespace ayslab {

struct NewtonOptions {
    std::size_t max_iterations = 200;
    double step_tolerance = 1e-12;  // stop when the Newton step's max-norm falls below this
    double gradient_step = 1e-3;    // step of the fourth-order central-difference gradient
    double hessian_step = 1e-4;     // step for the Hessian
    std::size_t threads = 1;        // objective evaluations for derivatives run in parallel
};

struct NewtonResult {
    std::vector<double> x;
    double value = 0.0;
    double gradient_norm = 0.0;  // max-norm of the final gradient
    std::size_t iterations = 0;
    std::size_t evaluations = 0;
    bool converged = false;
};

using Objective = std::function<double(std::span<const double>)>;

NewtonResult minimise_newton(const Objective& f, std::vector<double> x0, const NewtonOptions& options = {});

}  // namespace ayslab
