// The truly optimal schedule for a deterministic solver on Gaussian data: minimise the exact KL
// (MATH §4) over the interior sigma values, end points fixed, in log sigma coordinates.
#pragma once
#include "ayslab/data/gaussian.hpp"
#include "ayslab/optimise/newton.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/solver.hpp"

namespace ayslab {

struct ExactOptimum {
    Schedule schedule;
    double kl;
    NewtonResult details;
};

// Any solver with an exact Gaussian law (deterministic, or linearised-sde / euler-maruyama /
// ddpm-ancestral).
ExactOptimum optimise_exact_kl(const Solver& solver, const Schedule& start, const DiagonalGaussian& data,
                               const NewtonOptions& options = {});

// The schedule minimising the closed-form total KLUB (MATH §5) for Gaussian data: what AYS's Monte
// Carlo procedure estimates. `kl` holds the minimised KLUB.
ExactOptimum optimise_klub_gaussian(const Schedule& start, const DiagonalGaussian& data,
                                    const NewtonOptions& options = {});

}  // namespace ayslab
