// The truly optimal schedule for a deterministic solver on Gaussian data: minimise the exact KL
// (MATH §4) over the interior sigma values, end points fixed, in log sigma coordinates.
#pragma once
#include "ayslab/data/gaussian.hpp"
#include "ayslab/optimise/newton.hpp"
#include "ayslab/schedule.hpp"
#include "ayslab/solver/solver.hpp"

namespace ayslab {

struct ExactOptimum {
    Schedule schedule;
    double kl;
    NewtonResult details;
};

ExactOptimum optimise_exact_kl(const Solver& solver, const Schedule& start, const DiagonalGaussian& data,
                               const NewtonOptions& options = {});

}  // namespace ayslab
