// The AYS early-stopping proxy a config names (keys stop_on, stop_sampler, stop_particles, stop_n_se):
// the keys read here, the proxies themselves measured by lib (ayslab/optimise/stop_proxy.hpp). The
// paper stops the KLUB optimisation early on a sample-quality proxy, because a converged KLUB can make
// the sampler's results worse (docs/ays.md, "When AYS stops").
#pragma once
#include "ayslab/evaluation/evaluation.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/optimise/ays.hpp"
#include "config.hpp"
#include "registry.hpp"

namespace ayslab::app {

// Sets o.quality / o.quality_name from the config:
//   stop_on = klub     no proxy: stages stop and choose on the validation KLUB (the former rule);
//   stop_on = nll      mean -log p_{sigma_min}(x) of stop_sampler's end points under the data's exact
//                      density (stop_particles draws of x_T, the same for every schedule);
//   stop_on = sliced_w2  sliced W2 of stop_sampler's end points to the held-out rows (point sets with a
//                      held-out set: the NLL of a point set's exact density rewards memorisation);
//   stop_on = teacher  mean squared distance of stop_sampler's end points to a fine-step solution
//                      (Heun, 256 EDM rho=7 steps over the same sigma range) from the same x_T — for
//                      a denoiser whose data has no useful density; stop_sampler must be deterministic.
// Without the keys (experiments that do not take them), o is left as it is.
// The problem (evaluation.hpp) must outlive o.quality: its data, denoiser and held-out rows are used.
void set_stop_proxy(AysOptions& o, const Config& config, const Problem& problem, const RunContext& context);

}  // namespace ayslab::app
