#include "ayslab/evaluation/study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ayslab/error.hpp"

namespace ayslab {

Metric judge_metric(const Problem& problem) {
    if (problem.images) return problem.images->decides;
    const bool point_set = problem.data->nearest_points() != nullptr;
    return point_set && problem.held_out && problem.held_out->n > 0 ? Metric::sliced_w2 : Metric::nll;
}

std::string metric_name(Metric metric) {
    switch (metric) {
        case Metric::nll: return "nll";
        case Metric::sliced_w2: return "sliced_w2";
        case Metric::fid: return "fid";
        case Metric::kid: return "kid";
    }
    return "nll";
}

namespace {
const Moments& difference(const StudyRow& row, Metric metric) {
    switch (metric) {
        case Metric::nll: return row.nll_vs_current;
        case Metric::sliced_w2: return row.sw2_vs_current;
        case Metric::fid: return row.fid_vs_current;
        case Metric::kid: return row.kid_vs_current;
    }
    return row.nll_vs_current;
}
const Moments& quality_of(const SampleQuality& q, Metric metric) {
    switch (metric) {
        case Metric::nll: return q.nll;
        case Metric::sliced_w2: return q.sw2;
        case Metric::fid: return q.fid;
        case Metric::kid: return q.kid;
    }
    return q.nll;
}
double mean_of(const StudyRow& row, Metric metric) { return quality_of(row.quality, metric).mean(); }
// Better than the current schedule by more than n_se paired SE (a difference with no spread is
// trusted only when it is exactly a difference: one seed has no SE and never counts).
bool beats(const Moments& diff, double n_se) {
    if (diff.count() < 2) return false;
    return diff.mean() < 0.0 && -diff.mean() > n_se * diff.se_mean();
}
}  // namespace

StudyVerdict decide(const std::vector<StudyRow>& rows, Metric metric, double n_se) {
    if (rows.empty()) throw InputError("a study needs the current schedule");
    StudyVerdict v;
    v.metric = metric;
    v.winner = rows[0].name;
    std::size_t best = 0;
    for (std::size_t i = 1; i < rows.size(); ++i)
        if (beats(difference(rows[i], metric), n_se) && (best == 0 || mean_of(rows[i], metric) < mean_of(rows[best], metric)))
            best = i;
    if (best == 0) return v;
    const Moments& d = difference(rows[best], metric);
    v.keep = false;
    v.winner = rows[best].name;
    v.margin = -d.mean();
    v.margin_se = d.se_mean();
    const Metric other = metric == Metric::sliced_w2 ? Metric::nll : Metric::sliced_w2;
    const Moments& o = difference(rows[best], other);
    v.judges_disagree = o.count() >= 2 && o.mean() > n_se * o.se_mean();
    return v;
}

StudyCell study(const Problem& problem, const std::string& sampler, const NamedSchedule& current,
                const std::vector<NamedSchedule>& candidates, const StudyOptions& options,
                const SolverOptions& solver_options) {
    std::vector<NamedSchedule> all{current};
    for (const auto& c : candidates) {
        if (c.schedule.sigma_min() != current.schedule.sigma_min())
            throw InputError(fmt::format("candidate '{}' ends at sigma {} and the current schedule at {}: a study "
                                         "compares schedules over one sigma range",
                                         c.name, c.schedule.sigma_min(), current.schedule.sigma_min()));
        all.push_back(c);
    }
    StudyCell cell;
    cell.sampler = sampler;
    const Metric metric = judge_metric(problem);
    if (options.screen_particles > 0 && candidates.size() > options.finalists) {
        if (options.finalists < 1) throw InputError("a screened study needs at least one finalist");
        EvaluationOptions screen = options.judge;
        screen.particles = options.screen_particles;
        screen.seeds = 1;
        screen.seed = options.screen_seed;
        screen.keep = 0;
        const std::vector<NamedSchedule> pool(all.begin() + 1, all.end());
        const Comparison screened = compare(problem, {sampler}, pool, screen, solver_options);
        std::vector<std::size_t> order(pool.size());
        for (std::size_t j = 0; j < pool.size(); ++j) {
            order[j] = j;
            const Moments& m = quality_of(screened.at(0, j), metric);
            cell.screened.push_back({pool[j].name, m.count() > 0 ? m.mean() : std::nan(""), false});
        }
        // Lowest first; a non-finite value (samples that blew up) ranks last; ties keep the given order.
        auto key = [&](std::size_t j) {
            const double v = cell.screened[j].value;
            return std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
        };
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
        for (std::size_t k = 0; k < options.finalists; ++k) cell.screened[order[k]].finalist = true;
        all.erase(all.begin() + 1, all.end());
        for (std::size_t j = 0; j < pool.size(); ++j)
            if (cell.screened[j].finalist) all.push_back(pool[j]);
    }
    const Comparison table = compare(problem, {sampler}, all, options.judge, solver_options, options.judge.keep);
    const bool sw2 = problem.held_out && problem.held_out->n > 0;
    for (std::size_t j = 0; j < all.size(); ++j) {
        StudyRow row{all[j].name, all[j].schedule, table.at(0, j), Moments(), Moments(), Moments(), Moments()};
        row.nll_vs_current = table.paired(0, j, 0, Metric::nll);
        if (sw2) row.sw2_vs_current = table.paired(0, j, 0, Metric::sliced_w2);
        if (problem.images) {
            row.fid_vs_current = table.paired(0, j, 0, Metric::fid);
            row.kid_vs_current = table.paired(0, j, 0, Metric::kid);
        }
        cell.rows.push_back(std::move(row));
    }
    cell.verdict = decide(cell.rows, metric, options.n_se);
    return cell;
}

}  // namespace ayslab
