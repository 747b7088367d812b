#include "stop_proxy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ayslab/error.hpp"
#include "ayslab/optimise/stop_proxy.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/streams.hpp"

namespace ayslab::app {

void set_stop_proxy(AysOptions& o, const Config& cfg, const Problem& problem, const RunContext& ctx) {
    if (!cfg.json().contains("stop_on")) return;
    const std::string kind = cfg.string("stop_on");
    if (kind == "klub") return;
    if (kind != "nll" && kind != "sliced_w2" && kind != "teacher")
        throw InputError(fmt::format("stop_on = '{}': use klub, nll, sliced_w2 or teacher", kind));
    // The proxy's samplers: stop_sampler, else the samplers the run evaluates (the user's), else Euler.
    std::vector<std::string> names;
    for (const auto& name : cfg.json().contains("stop_sampler") ? cfg.strings("stop_sampler")
                                                                : std::vector<std::string>{"samplers"}) {
        if (name != "samplers") {
            names.push_back(name);
            continue;
        }
        if (!cfg.json().contains("samplers"))
            throw InputError("stop_sampler = samplers: this experiment evaluates no samplers; name the stop proxy's sampler");
        // (teacher: the deterministic ones; a stochastic sampler's end points are not a function of x_T)
        for (const auto& s : cfg.strings("samplers"))
            if (std::find(names.begin(), names.end(), s) == names.end() &&
                !(kind == "teacher" && make_solver(s)->stochastic()))
                names.push_back(s);
        if (names.empty())
            throw InputError("stop_on = teacher needs a deterministic sampler among samplers, or a deterministic "
                             "stop_sampler");
    }
    o.quality_n_se = cfg.json().contains("stop_n_se") ? cfg.number("stop_n_se") : o.quality_n_se;
    const StopOn on = kind == "nll" ? StopOn::nll : kind == "sliced_w2" ? StopOn::sliced_w2 : StopOn::teacher;
    ayslab::set_stop_proxy(o, problem, {on, names, static_cast<std::size_t>(cfg.integer("stop_particles")),
                                        streams::stop_proxy(cfg.seed()), ctx.threads});
}

}  // namespace ayslab::app
