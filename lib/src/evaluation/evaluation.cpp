#include "ayslab/evaluation/evaluation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "ayslab/error.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/streams.hpp"

namespace ayslab {

namespace {
// The median distance from a held-out point to its nearest training point: the scale at which a
// sample counts as "near the data". Computed once per problem (the held-out set is fixed).
double held_out_near_radius(const Problem& p, std::size_t threads) {
    if (!p.near_radius) p.near_radius = median(nearest_distances(*p.data, p.held_out->values, p.held_out->n, threads));
    return *p.near_radius;
}

// The held-out rows' sorted projections on the seed's directions, made once per problem and seed.
const SlicedReference& held_out_reference(const Problem& p, std::size_t projections, std::uint64_t seed) {
    for (const auto& r : p.held_out_projections)
        if (r.projections == projections && r.seed == seed) return r;
    p.held_out_projections.push_back(sliced_reference(p.held_out->values, p.held_out->n, p.data->dim(), projections, seed));
    return p.held_out_projections.back();
}

// Per class y with >= 2 samples of y this seed: the KID of those samples' features against class y's
// reference rows (SampleQuality::kid_by_class).
void add_class_kids(const ImageJudge& judge, std::span<const double> features, std::span<const Label> labels,
                    std::uint64_t seed, std::size_t threads, SampleQuality& q) {
    const std::size_t f = judge.network->feature_dim(), classes = judge.class_features.size();
    q.kid_by_class.resize(classes);
    std::vector<double> rows;
    for (std::size_t y = 0; y < classes; ++y) {
        rows.clear();
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (static_cast<std::size_t>(labels[i]) == y)
                rows.insert(rows.end(), features.begin() + i * f, features.begin() + (i + 1) * f);
        const std::size_t n = rows.size() / f, m = judge.class_features[y].size() / f;
        if (n < 2 || m < 2) continue;
        const double kid = kernel_distance(rows, n, judge.class_features[y], m, f,
                                           {judge.kid_subsets, 1000, streams::class_kid_subsets(seed, y), threads})
                               .mean;
        if (q.kid_by_class[y].count() == 0) q.kid_by_class[y] = Moments(kid);
        q.kid_by_class[y].add(kid);
    }
}
}  // namespace

SampleQuality evaluate_samples(const Problem& p, const Solver& solver, const Schedule& schedule,
                               const EvaluationOptions& o) {
    if (schedule.ends_at_zero()) throw InputError("sample NLL needs a schedule ending at sigma_min > 0");
    if (!p.data || !p.denoiser) throw InputError("evaluation: the problem has no data or no denoiser");
    const Data& data = *p.data;
    const std::size_t d = data.dim(), n = o.particles;
    if (p.denoiser->dim() != d)
        throw InputError(fmt::format("the denoiser has dimension {}, the data {}", p.denoiser->dim(), d));
    if (p.labelled && (data.classes() == 0 || p.denoiser->classes() != data.classes()))
        throw InputError(fmt::format("a labelled evaluation needs labelled data and a denoiser of its classes (data {}, "
                                     "denoiser {})",
                                     data.classes(), p.denoiser->classes()));
    const bool points = data.nearest_points() != nullptr;
    const bool held_out = p.held_out && p.held_out->n > 0;
    SampleQuality q;
    std::vector<double> x(n * d);
    std::vector<Label> labels(p.labelled ? n : 0);
    for (std::size_t s = 0; s < o.seeds; ++s) {
        const std::uint64_t seed = streams::evaluation_seed(o.seed, s);
        sample_marginal_labelled(data, schedule.sigma_max(), x, labels, n, seed, o.threads);  // (no labels: plain)
        sample(*p.denoiser, solver, schedule, x, n, {seed, o.threads, solve_chunk(*p.denoiser), nullptr, labels});
        if (s == 0 && o.keep > 0) {
            q.first_samples.assign(x.begin(), x.begin() + std::min(o.keep, n) * d);
            q.first_labels.assign(labels.begin(), labels.begin() + std::min(o.keep, labels.size()));
        }
        // Under the image judge the NLL and the nearest training image are left out: an image's density
        // under the training set's point law rewards copying it (no judge), and both cost a pass over
        // every training image per sample.
        if (!p.images) {
            const auto nlls = negative_log_likelihoods_labelled(data, x, labels, n, schedule.sigma_min(), o.threads);
            const auto nll = moments_of(nlls);
            if (s == 0) q.nll = Moments(nll.mean());
            q.nll.add(nll.mean());
            q.nll_per_seed.push_back(nll.mean());
            const double nll_median = median(nlls);
            if (s == 0) q.nll_median = Moments(nll_median);
            q.nll_median.add(nll_median);
        }
        if (held_out) {
            const double w = sliced_wasserstein2(x, n, held_out_reference(p, o.projections, streams::sliced_w2_projections(o.seed)));
            if (s == 0) q.sw2 = Moments(w);
            q.sw2.add(w);
            q.sw2_per_seed.push_back(w);
        }
        if (p.images) {
            std::vector<double> features;
            p.images->network->evaluate(x, n, features, nullptr, o.threads);
            const double fid = frechet_distance(feature_gaussian(features, n, p.images->network->feature_dim()),
                                                p.images->reference);
            if (s == 0) q.fid = Moments(fid);
            q.fid.add(fid);
            q.fid_per_seed.push_back(fid);
            const KernelDistance kid =
                kernel_distance(features, n, p.images->reference_features, p.images->reference_n,
                                p.images->network->feature_dim(), {p.images->kid_subsets, 1000, seed, o.threads});
            if (s == 0) q.kid = Moments(kid.mean);
            q.kid.add(kid.mean);
            q.kid_per_seed.push_back(kid.mean);
            if (p.labelled && !p.images->class_features.empty()) add_class_kids(*p.images, features, labels, seed, o.threads, q);
        }
        if (points && !p.images) {
            const auto distances = nearest_distances(data, x, n, o.threads);
            const auto near = moments_of(distances);
            if (s == 0) q.nearest = Moments(near.mean());
            q.nearest.add(near.mean());
            if (held_out) {
                q.near_radius = held_out_near_radius(p, o.threads);
                const double share =
                    static_cast<double>(std::count_if(distances.begin(), distances.end(),
                                                      [&](double v) { return v <= q.near_radius; })) /
                    static_cast<double>(n);
                if (s == 0) q.near_share = Moments(share);
                q.near_share.add(share);
            }
        }
    }
    return q;
}

ImageJudge ImageJudge::of(const FeatureNetwork& network, const PointSet& real, std::size_t threads,
                          std::span<const Label> labels) {
    if (!labels.empty() && labels.size() != real.n)
        throw InputError(fmt::format("the image judge's reference has {} rows and {} labels", real.n, labels.size()));
    std::vector<double> features;
    network.evaluate(real.values, real.n, features, nullptr, threads);
    ImageJudge j;
    j.network = &network;
    const std::size_t f = network.feature_dim();
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto y = static_cast<std::size_t>(labels[i]);
        if (y >= j.class_features.size()) j.class_features.resize(y + 1);
        j.class_features[y].insert(j.class_features[y].end(), features.begin() + i * f, features.begin() + (i + 1) * f);
    }
    j.reference = feature_gaussian(features, real.n, network.feature_dim());
    j.reference_features = std::move(features);
    j.reference_n = real.n;
    return j;
}

namespace {
const std::vector<double>& per_seed(const SampleQuality& q, Metric metric) {
    switch (metric) {
        case Metric::nll: return q.nll_per_seed;
        case Metric::sliced_w2: return q.sw2_per_seed;
        case Metric::fid: return q.fid_per_seed;
        case Metric::kid: return q.kid_per_seed;
    }
    return q.nll_per_seed;
}
}  // namespace

Moments paired_difference(const SampleQuality& a, const SampleQuality& b, Metric metric) {
    const auto& x = per_seed(a, metric);
    const auto& y = per_seed(b, metric);
    Moments m;
    for (std::size_t s = 0; s < x.size() && s < y.size(); ++s) m.add(x[s] - y[s]);
    return m;
}

Comparison compare(const Problem& problem, const std::vector<std::string>& samplers,
                   const std::vector<NamedSchedule>& schedules, const EvaluationOptions& options,
                   const SolverOptions& solver_options, std::size_t keep_rows) {
    Comparison c{samplers, schedules, {}};
    c.cells.reserve(samplers.size() * schedules.size());
    for (std::size_t i = 0; i < samplers.size(); ++i) {
        const auto solver = make_solver(samplers[i], solver_options);
        EvaluationOptions o = options;
        o.keep = i == 0 ? keep_rows : 0;
        for (const auto& s : schedules) c.cells.push_back(evaluate_samples(problem, *solver, s.schedule, o));
    }
    return c;
}

}  // namespace ayslab
