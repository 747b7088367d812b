// AYS's early-stopping proxies (docs/ays.md, "When AYS stops"): the paper stops the KLUB optimisation
// early on a sample-quality proxy, because a converged KLUB can make the sampler's results worse. Each
// proxy scores a schedule by its samplers' end points from `particles` fixed draws of x_T (the same for
// every schedule; with their classes on a labelled problem), one value per draw averaged over the
// samplers, so the optimiser compares schedules paired:
//   klub       no proxy: stages stop and choose on the validation KLUB;
//   nll        -log p_{sigma_min}(x) under the data's exact density;
//   sliced_w2  sliced W2 to the held-out rows, per projection (128 fixed ones; point sets, whose exact
//              density rewards memorisation);
//   teacher    the squared distance to a fine-step solution (Heun, 256 EDM rho=7 steps over the same
//              sigma range) from the same x_T; the samplers must be deterministic.
// The tools read these from their keys (apps/framework/stop_proxy.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ayslab/evaluation/evaluation.hpp"
#include "ayslab/optimise/ays.hpp"

namespace ayslab {

enum class StopOn { klub, nll, sliced_w2, teacher };

struct StopProxyOptions {
    StopOn on = StopOn::klub;
    std::vector<std::string> samplers;  // the proxy's samplers (registry names)
    std::size_t particles = 256;
    std::uint64_t seed = 0;  // the draws' address (streams::stop_proxy(seed) in the tools)
    std::size_t threads = 1;
};

// Sets o.quality and o.quality_name (nothing for klub). The problem must outlive o.quality: its data,
// denoiser and held-out rows are used.
void set_stop_proxy(AysOptions& o, const Problem& problem, const StopProxyOptions& options);

}  // namespace ayslab
