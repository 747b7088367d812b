// One function per experiment file, each returning its registration.
#pragma once
#include "registry.hpp"

namespace ayslab::app {

Experiment arctan_optimum_experiment();
Experiment tweedie_experiment();
Experiment vp_marginals_experiment();
Experiment ddpm_posterior_experiment();
Experiment marginals_agree_experiment();
Experiment schedule_experiment();
Experiment ays_experiment();
Experiment klub_bound_experiment();
Experiment ays_gaussian_experiment();
Experiment ays_toy_experiment();
Experiment ays_fashion_mnist_experiment();
Experiment solver_league_experiment();
Experiment likelihood_experiment();
Experiment sample_experiment();
Experiment bench_experiment();

}  // namespace ayslab::app
