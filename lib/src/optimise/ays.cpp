#include "ayslab/optimise/ays.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "ayslab/cluster.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/checkpoint.hpp"
#include "ayslab/io/fingerprint.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/streams.hpp"

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
    Stage(const Data& data, const Denoiser& denoiser, const AysOptions& o)
        : data_(data), denoiser_(denoiser), o_(o) {}

    // Moves interior point k (1..n-1) to the minimiser of KLUB(k-1) + KLUB(k). The draws for interval
    // slot j are the same for every candidate (common random numbers); sweep-specific seeds keep
    // successive sweeps from overfitting one set of draws.
    void update(std::vector<double>& s, std::size_t k, std::uint64_t seed) const {
        const KlubMonteCarlo mc{o_.samples, seed, o_.proposal_variance, o_.threads, o_.labelled};
        const bool reuse = kept_.valid && kept_.seed == seed && kept_.slot == k - 1;
        kept_.valid = false;
        const KlubDraws upper = reuse ? std::move(kept_.draws) : klub_draws(data_, k - 1, mc);
        KlubDraws lower = klub_draws(data_, k, mc);
        const double hi = s[k - 1], lo = s[k + 1];
        auto f = [&](double log_sigma) {
            const double x = std::exp(log_sigma);
            return klub_interval_mc(denoiser_, x, hi, upper, mc).value +
                   klub_interval_mc(denoiser_, lo, x, lower, mc).value;
        };
        const double a = std::log(lo), b = std::log(hi), margin = 1e-3 * (b - a);
        const double best = golden_section(f, a + margin, b - margin, o_.golden_iterations);
        // Keep the old point unless the new one is better on the same draws.
        if (f(best) < f(std::log(s[k]))) s[k] = std::exp(best);
        kept_ = {true, seed, k, std::move(lower)};
    }

    KlubEstimate validate(const Schedule& s) const {
        const KlubMonteCarlo mc{o_.validation_samples, streams::klub_validation(o_.seed), o_.proposal_variance,
                                o_.threads, o_.labelled};
        return klub_schedule_mc(data_, denoiser_, s, mc);
    }

  private:
    // A sweep updates point k from slots k-1 and k, then point k+1 from slots k and k+1: the last lower
    // slot's draws are kept for the next update, so each slot is drawn once per sweep.
    struct Kept {
        bool valid = false;
        std::uint64_t seed = 0, slot = 0;
        KlubDraws draws;
    };
    const Data& data_;
    const Denoiser& denoiser_;
    const AysOptions& o_;
    mutable Kept kept_;
};

}  // namespace

namespace {

// Everything the loop needs to continue: written after every sweep when checkpointing.
struct State {
    std::size_t level = 0, sweep = 0, stale = 0;
    bool level_started = false;
    std::uint64_t sweep_seed = 0;
    std::vector<double> current, best;
    KlubEstimate best_klub, best_quality;
    AysResult result;
};

nlohmann::json settings_json(const Schedule& start, const AysOptions& o, std::size_t dim) {
    return {{"start", start.sigmas()},
            {"subdivisions", o.subdivisions},
            {"refine_all", o.refine_all},
            {"samples", o.samples},
            {"validation_samples", o.validation_samples},
            {"golden_iterations", o.golden_iterations},
            {"max_sweeps", o.max_sweeps},
            {"patience", o.patience},
            {"min_improvement", o.min_improvement},
            {"seed", o.seed},
            {"proposal_variance", o.proposal_variance},
            {"labelled", o.labelled},
            {"quality", o.quality ? o.quality_name : std::string()},
            {"quality_n_se", o.quality ? o.quality_n_se : 0.0},
            {"dim", dim},
            {"fingerprint", o.fingerprint}};
}

nlohmann::json estimate_json(const KlubEstimate& e) { return {e.value, e.standard_error}; }

void save(const State& st, const nlohmann::json& settings, const Checkpoint& checkpoint) {
    nlohmann::json trace = nlohmann::json::array(), stages = nlohmann::json::array();
    for (const auto& e : st.result.trace)
        trace.push_back({e.steps, e.sweep, e.klub, e.klub_standard_error, e.improved, e.quality,
                         e.quality_standard_error});
    for (const auto& s : st.result.stages)
        stages.push_back({{"sigmas", s.schedule.sigmas()},
                          {"klub", estimate_json(s.klub)},
                          {"quality", estimate_json(s.quality)},
                          {"stop", s.stop},
                          {"stopped_at_max_sweeps", s.stopped_at_max_sweeps}});
    const nlohmann::json doc = {{"ayslab_ays_checkpoint", 2},
                                {"settings", settings},
                                {"level", st.level},
                                {"sweep", st.sweep},
                                {"stale", st.stale},
                                {"level_started", st.level_started},
                                {"sweep_seed", st.sweep_seed},
                                {"current", st.current},
                                {"best", st.best},
                                {"best_klub", estimate_json(st.best_klub)},
                                {"best_quality", estimate_json(st.best_quality)},
                                {"trace", trace},
                                {"stages", stages}};
    checkpoint.save(doc);
}


State load(const nlohmann::json& doc, const nlohmann::json& settings, const std::filesystem::path& path) {
    if (!doc.contains("ayslab_ays_checkpoint") || !doc.contains("settings"))
        throw InputError(fmt::format("'{}' is not an AYS checkpoint", path.string()));
    for (const auto& [key, value] : settings.items()) {
        if (doc["settings"].contains(key) && doc["settings"][key] == value) continue;
        if (key == "fingerprint" && doc["settings"].contains(key) && doc["settings"][key].is_string())
            throw InputError(fmt::format("checkpoint '{}' was made for another run: {}", path.string(),
                                         fingerprint_difference(doc["settings"][key].get<std::string>(),
                                                                value.get<std::string>())));
        throw InputError(fmt::format("checkpoint '{}' was made with a different '{}'", path.string(), key));
    }
    State st;
    // Every field is checked against the run's settings before anything uses it: a damaged or edited
    // checkpoint is one InputError naming the field, never a crash, and it is left where it is.
    auto damaged = [&](const std::string& field, const std::string& why) {
        return InputError(fmt::format("checkpoint '{}' is damaged: '{}' {}", path.string(), field, why));
    };
    auto count = [&](const nlohmann::json& j, const std::string& field, std::uint64_t max) {
        if (!j.is_number_unsigned() || j.get<std::uint64_t>() > max)
            throw damaged(field, fmt::format("must be an integer from 0 to {}, is {}", max, j.dump().substr(0, 40)));
        return j.get<std::uint64_t>();
    };
    auto number = [&](const nlohmann::json& j, const std::string& field) {
        if (!j.is_number() || !std::isfinite(j.get<double>())) throw damaged(field, "must be a finite number");
        return j.get<double>();
    };
    auto estimate = [&](const nlohmann::json& j, const std::string& field) {
        if (!j.is_array() || j.size() != 2) throw damaged(field, "must be [value, standard error]");
        const KlubEstimate e{number(j[0], field), number(j[1], field)};
        if (e.standard_error < 0.0) throw damaged(field, "has a negative standard error");
        return e;
    };
    const auto start = settings.at("start").get<std::vector<double>>();
    const std::size_t n0 = start.size() - 1;
    auto schedule = [&](const nlohmann::json& j, const std::string& field, std::size_t steps) {
        if (!j.is_array() || j.size() != steps + 1)
            throw damaged(field, fmt::format("must be a list of {} sigmas", steps + 1));
        std::vector<double> v;
        for (const auto& x : j) v.push_back(number(x, field));
        if (v.front() != start.front() || v.back() != start.back())
            throw damaged(field, "does not keep the start schedule's end points");
        for (std::size_t i = 1; i < v.size(); ++i)
            if (!(v[i] < v[i - 1])) throw damaged(field, "is not strictly decreasing");
        return v;
    };
    const auto subdivisions = settings.at("subdivisions").get<std::uint64_t>();
    const auto max_sweeps = settings.at("max_sweeps").get<std::uint64_t>();
    const auto patience = settings.at("patience").get<std::uint64_t>();
    try {
        st.level = count(doc.at("level"), "level", subdivisions);
        st.sweep = count(doc.at("sweep"), "sweep", max_sweeps);
        st.stale = count(doc.at("stale"), "stale", std::min(patience, static_cast<std::uint64_t>(st.sweep)));
        if (!doc.at("level_started").is_boolean()) throw damaged("level_started", "must be true or false");
        st.level_started = doc.at("level_started").get<bool>();
        if (!doc.at("sweep_seed").is_number_unsigned()) throw damaged("sweep_seed", "must be an unsigned integer");
        st.sweep_seed = doc.at("sweep_seed").get<std::uint64_t>();
        // The level's schedule size: before a level starts, current is the previous level's best.
        const std::size_t steps = st.level_started || st.level == 0 ? n0 << st.level : n0 << (st.level - 1);
        st.current = schedule(doc.at("current"), "current", steps);
        st.best = schedule(doc.at("best"), "best", steps);
        st.best_klub = estimate(doc.at("best_klub"), "best_klub");
        st.best_quality = estimate(doc.at("best_quality"), "best_quality");
        if (!doc.at("trace").is_array()) throw damaged("trace", "must be a list");
        for (const auto& e : doc.at("trace")) {
            if (!e.is_array() || e.size() != 7 || !e[4].is_boolean()) throw damaged("trace", "has a malformed entry");
            st.result.trace.push_back({static_cast<std::size_t>(count(e[0], "trace", std::uint64_t{1} << 40)),
                                       static_cast<std::size_t>(count(e[1], "trace", max_sweeps)), number(e[2], "trace"),
                                       number(e[3], "trace"), e[4].get<bool>(), number(e[5], "trace"),
                                       number(e[6], "trace")});
        }
        const auto& stages = doc.at("stages");
        if (!stages.is_array() || stages.size() != st.level)
            throw damaged("stages", fmt::format("must list the {} finished stages", st.level));
        for (std::size_t k = 0; k < stages.size(); ++k) {
            const auto& s = stages[k];
            if (!s.is_object() || !s.contains("stopped_at_max_sweeps") || !s["stopped_at_max_sweeps"].is_boolean() ||
                !s.contains("stop") || !s["stop"].is_string())
                throw damaged("stages", "has a malformed entry");
            st.result.stages.push_back({Schedule(schedule(s.at("sigmas"), "stages", n0 << k)),
                                        estimate(s.at("klub"), "stages"), s["stopped_at_max_sweeps"].get<bool>(),
                                        estimate(s.at("quality"), "stages"), s["stop"].get<std::string>()});
        }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("checkpoint '{}' is damaged: {}", path.string(), e.what()));
    }
    return st;
}

}  // namespace

AysResult optimise_ays(const Data& data, const Denoiser& denoiser, const Schedule& start, const AysOptions& o,
                       const AysProgress& progress) {
    if (denoiser.dim() != data.dim())
        throw InputError(fmt::format("AYS: the denoiser has dimension {}, the data {}", denoiser.dim(), data.dim()));
    if (start.ends_at_zero())
        throw InputError("AYS needs sigma_min > 0 (the KLUB of a step to sigma = 0 is infinite)");
    if (o.samples < 2 || o.validation_samples < 2)
        throw InputError("AYS needs at least 2 Monte Carlo samples");
    const Stage stage(data, denoiser, o);
    const auto settings = settings_json(start, o, data.dim());
    const bool checkpointing = !o.checkpoint.empty();
    // Every MPI rank reads a checkpoint to resume; only rank 0 writes and removes it.
    const bool writer = checkpointing && cluster::rank() == 0;
    const Checkpoint checkpoint(o.checkpoint, "AYS checkpoint");
    State st;
    const auto saved = o.resume ? checkpoint.load() : std::nullopt;
    if (saved) {
        st = load(*saved, settings, o.checkpoint);
    } else {
        st.current.assign(start.sigmas().begin(), start.sigmas().end());
        st.sweep_seed = o.seed;
    }
    auto report = [&](const AysTraceEntry& e) {
        st.result.trace.push_back(e);
        if (progress) progress(e);
    };
    // The kept schedule's proxy per draw, for the paired comparison (not checkpointed: a resumed run
    // recomputes it on the same fixed draws).
    std::vector<double> best_values;
    auto proxy = [&](const Schedule& s) {
        auto values = o.quality(s);
        if (values.empty()) throw InputError("AYS: the stop proxy returned no values");
        return values;
    };
    auto estimate = [](std::span<const double> values) {
        const Moments m = moments_of(values);
        return KlubEstimate{m.mean(), values.size() > 1 ? m.se_mean() : 0.0};
    };
    for (; st.level <= o.subdivisions; ++st.level) {
        const bool refined = st.level > 0;
        if (!st.level_started) {
            Schedule current(st.current);
            if (refined) current = subdivide(current);
            st.current.assign(current.sigmas().begin(), current.sigmas().end());
            st.best = st.current;
            st.best_klub = stage.validate(current);
            if (o.quality) {
                best_values = proxy(current);
                st.best_quality = estimate(best_values);
            }
            st.sweep = st.stale = 0;
            st.level_started = true;
            report({current.steps(), 0, st.best_klub.value, st.best_klub.standard_error, false, st.best_quality.value,
                    st.best_quality.standard_error});
            if (writer) save(st, settings, checkpoint);
        } else if (o.quality) {
            best_values = proxy(Schedule(st.best));
        }
        const std::size_t n = st.current.size() - 1;
        while (st.sweep < o.max_sweeps && st.stale < o.patience) {
            ++st.sweep;
            ++st.sweep_seed;
            std::vector<double> s = st.current;
            // After a subdivision the new points are the odd positions: the paper's rule moves only them;
            // refine_all moves them in the first sweep and then every point.
            for (std::size_t k = 1; k < n; ++k)
                if (!(refined && k % 2 == 0 && (!o.refine_all || st.sweep == 1))) stage.update(s, k, st.sweep_seed);
            const auto klub = stage.validate(Schedule(s));
            bool improved = false;
            KlubEstimate quality;
            if (o.quality) {
                // The proxy decides which schedule the stage keeps, and when it stops: paired over the
                // fixed draws, a sweep replaces the kept schedule only when better beyond quality_n_se SE.
                auto values = proxy(Schedule(s));
                if (values.size() != best_values.size())
                    throw InputError("AYS: the stop proxy returned another number of values for another schedule");
                quality = estimate(values);
                Moments paired;
                for (std::size_t i = 0; i < values.size(); ++i) paired.add(values[i] - best_values[i]);
                const double mean = paired.mean(), se = values.size() > 1 ? paired.se_mean() : 0.0;
                const bool better = mean < 0.0 && mean < -o.quality_n_se * se;
                improved = better && -mean > o.min_improvement * std::abs(st.best_quality.value);
                if (better) {
                    st.best_quality = quality;
                    st.best_klub = klub;
                    st.best = s;
                    best_values = std::move(values);
                }
            } else {
                improved = klub.value < st.best_klub.value * (1.0 - o.min_improvement);
                if (klub.value < st.best_klub.value) {
                    st.best_klub = klub;
                    st.best = s;
                }
            }
            st.current = std::move(s);
            st.stale = improved ? 0 : st.stale + 1;
            report({n, st.sweep, klub.value, klub.standard_error, improved, quality.value, quality.standard_error});
            if (writer) save(st, settings, checkpoint);
        }
        st.current = st.best;
        const bool budget = st.stale < o.patience;
        st.result.stages.push_back({Schedule(st.best), st.best_klub, budget, st.best_quality,
                                    budget ? "max_sweeps" : o.quality ? "quality" : "klub"});
        st.level_started = false;
    }
    if (writer) checkpoint.remove();
    return st.result;
}

}  // namespace ayslab
