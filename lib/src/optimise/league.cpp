#include "ayslab/optimise/league.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "ayslab/cluster.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"

namespace ayslab {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// The options of every solve against the teacher: its particles' classes (none when unlabelled), in
// solve_chunk()'s chunks.
SamplerOptions teacher_solve(const ScheduleProblem& p, const Teacher& t) {
    SamplerOptions o{p.seed, p.threads, solve_chunk(*p.denoiser)};
    o.labels = t.labels;
    return o;
}

// One step of the solver from sigma_from to sigma_to for every row of x (in place), through `denoiser`.
std::size_t one_step(const Denoiser& denoiser, const ScheduleProblem& p, const Teacher& t, const Solver& solver,
                     std::vector<double>& x, double sigma_from, double sigma_to) {
    const auto stats = sample(denoiser, solver, Schedule({sigma_from, sigma_to}), x, t.n, teacher_solve(p, t));
    return stats.nfe * t.n;
}

// GITS's cost row i: every step i -> j starts with the same call, D(x_teacher(sigma_i); sigma_i), whatever
// j. It is made once (`denoised`, n x d) and served from here when a solver asks for it: the call is at
// sigma_i on rows of `buffer` (the solve's particles, which start as `rows`) still equal to their start,
// bit for bit. Any other call goes to the base. Euler's step is that call alone: the row costs g model
// calls instead of g (g - 1) / 2; a two-stage step (Heun) still pays its second call per pair.
class FirstCallCache final : public DenoiserView {
  public:
    FirstCallCache(const Denoiser& base, std::span<const double> buffer, std::span<const double> rows, double sigma,
                   std::span<const double> denoised)
        : DenoiserView(base), buffer_(buffer), rows_(rows), sigma_(sigma), denoised_(denoised) {}
    void evaluate(const Batch& b, std::span<double> out) const override {
        if (!b.one_sigma() || !serve(b.x, b.sigma, out)) base_.evaluate(b, out);
    }
    void trace(const Batch& b, std::span<double> out) const override { base_.trace(b, out); }
    // Rows served from the cache so far (not model evaluations).
    std::size_t served() const { return served_.load(); }

  private:
    bool serve(std::span<const double> x, double sigma, std::span<double> out) const {
        if (sigma != sigma_ || x.empty()) return false;
        const auto at = reinterpret_cast<std::uintptr_t>(x.data()), lo = reinterpret_cast<std::uintptr_t>(buffer_.data()),
                   hi = reinterpret_cast<std::uintptr_t>(buffer_.data() + buffer_.size());
        if (at < lo || at + x.size_bytes() > hi) return false;
        const std::size_t offset = x.data() - buffer_.data();
        if (std::memcmp(x.data(), rows_.data() + offset, x.size_bytes()) != 0) return false;
        std::copy_n(denoised_.begin() + static_cast<std::ptrdiff_t>(offset), x.size(), out.begin());
        served_ += x.size() / base_.dim();
        return true;
    }
    std::span<const double> buffer_, rows_;
    double sigma_;
    std::span<const double> denoised_;
    mutable std::atomic<std::size_t> served_{0};
};

double mean_squared_distance(const std::vector<double>& a, const std::vector<double>& b, std::size_t n) {
    double s = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
    return s / static_cast<double>(n);
}

}  // namespace

std::vector<double> log_grid(double lo, double hi, std::size_t n) {
    if (n < 2 || !(lo > 0.0 && hi > lo)) throw InputError("a sigma grid needs >= 2 points and 0 < lo < hi");
    std::vector<double> g(n);
    for (std::size_t k = 0; k < n; ++k)
        g[k] = std::exp(std::log(hi) + (std::log(lo) - std::log(hi)) * static_cast<double>(k) / static_cast<double>(n - 1));
    g.front() = hi;
    g.back() = lo;
    return g;
}

std::vector<std::size_t> dp_min_path(std::size_t grid, std::size_t steps,
                                     const std::function<double(std::size_t, std::size_t)>& cost, double* total) {
    if (steps < 1 || steps > grid - 1)
        throw InputError(fmt::format("{} steps do not fit a grid of {} sigmas", steps, grid));
    constexpr double inf = std::numeric_limits<double>::infinity();
    // f[k][j]: cheapest k hops from 0 to j; from[k][j] the predecessor.
    std::vector<std::vector<double>> f(steps + 1, std::vector<double>(grid, inf));
    std::vector<std::vector<std::size_t>> from(steps + 1, std::vector<std::size_t>(grid, 0));
    f[0][0] = 0.0;
    for (std::size_t k = 1; k <= steps; ++k)
        for (std::size_t j = k; j < grid; ++j)
            for (std::size_t i = k - 1; i < j; ++i) {
                if (f[k - 1][i] == inf) continue;
                const double v = f[k - 1][i] + cost(i, j);
                if (v < f[k][j]) {
                    f[k][j] = v;
                    from[k][j] = i;
                }
            }
    std::vector<std::size_t> path(steps + 1);
    path[steps] = grid - 1;
    for (std::size_t k = steps; k > 0; --k) path[k - 1] = from[k][path[k]];
    if (total) *total = f[steps][grid - 1];
    return path;
}

Teacher make_teacher(const ScheduleProblem& p, std::size_t particles, std::size_t teacher_steps, std::uint64_t seed) {
    Teacher t;
    t.grid = log_grid(p.sigma_min, p.sigma_max, p.grid);
    t.n = particles;
    t.d = p.data->dim();
    // Log-uniform substeps between consecutive grid sigmas, the grid sigmas hit exactly.
    const std::size_t sub = std::max<std::size_t>(1, teacher_steps / (p.grid - 1));
    std::vector<double> s = {t.grid.front()};
    for (std::size_t g = 0; g + 1 < t.grid.size(); ++g) {
        for (std::size_t k = 1; k < sub; ++k)
            s.push_back(t.grid[g] * std::pow(t.grid[g + 1] / t.grid[g], static_cast<double>(k) / static_cast<double>(sub)));
        s.push_back(t.grid[g + 1]);
    }
    std::vector<double> x(t.n * t.d);
    if (p.labelled) {
        t.labels.resize(t.n);
        sample_marginal_labelled(*p.data, p.sigma_max, x, t.labels, t.n, seed, p.threads);
    } else {
        sample_marginal(*p.data, p.sigma_max, x, t.n, seed, p.threads);
    }
    t.states.assign(t.grid.size(), std::vector<double>(t.n * t.d));
    t.states[0] = x;
    // Grid sigma -> index, for the observer (sigmas are hit exactly).
    const auto heun = make_solver("heun");
    const StepObserver observe = [&](std::size_t, std::size_t first, std::size_t, double sigma,
                                     std::span<const double> chunk) {
        const auto it = std::find(t.grid.begin(), t.grid.end(), sigma);
        if (it == t.grid.end()) return;
        std::copy(chunk.begin(), chunk.end(), t.states[static_cast<std::size_t>(it - t.grid.begin())].begin() +
                                                  static_cast<std::ptrdiff_t>(first * t.d));
    };
    SamplerOptions options = teacher_solve(p, t);
    options.seed = seed;
    const auto stats = sample(*p.denoiser, *heun, Schedule(std::move(s)), x, t.n, options, observe);
    t.evaluations = stats.nfe * t.n;
    return t;
}

double teacher_distance(const ScheduleProblem& p, const Teacher& t, const Solver& solver, const Schedule& schedule,
                        std::size_t* evaluations) {
    std::vector<double> x = t.states.front();
    const auto stats = sample(*p.denoiser, solver, schedule, x, t.n, teacher_solve(p, t));
    if (evaluations) *evaluations += stats.nfe * t.n;
    return mean_squared_distance(x, t.states.back(), t.n);
}

std::vector<double> teacher_distances(const ScheduleProblem& p, const Teacher& t, const Solver& solver,
                                      const Schedule& schedule, std::span<const double> starts,
                                      std::size_t* evaluations) {
    std::vector<double> x = starts.empty() ? t.states.front() : std::vector<double>(starts.begin(), starts.end());
    const auto stats = sample(*p.denoiser, solver, schedule, x, t.n, teacher_solve(p, t));
    if (evaluations) *evaluations += stats.nfe * t.n;
    const std::size_t d = t.n > 0 ? x.size() / t.n : 0;
    std::vector<double> out(t.n, 0.0);
    for (std::size_t i = 0; i < t.n; ++i)
        for (std::size_t k = 0; k < d; ++k) {
            const double e = x[i * d + k] - t.states.back()[i * d + k];
            out[i] += e * e;
        }
    return out;
}

GridKlub::GridKlub(const ScheduleProblem& p, std::uint64_t seed)
    : p_(p), seed_(seed), grid_(log_grid(p.sigma_min, p.sigma_max, p.grid)),
      cache_(p.grid * p.grid, std::numeric_limits<double>::quiet_NaN()) {}

double GridKlub::operator()(std::size_t i, std::size_t j) {
    double& c = cache_[i * grid_.size() + j];
    if (!std::isnan(c)) return c;
    if (p_.gaussian) {
        c = klub_interval_gaussian(p_.gaussian->variance(), grid_[j], grid_[i]);
    } else {
        // Slot 0 for every interval: the same draws for all (common random numbers).
        const KlubMonteCarlo mc{p_.klub_samples, seed_, 0.0, p_.threads};
        c = klub_interval_mc(*p_.data, *p_.denoiser, grid_[j], grid_[i], 0, mc).value;
        evaluations_ += 2 * p_.klub_samples;
    }
    return c;
}

double GridKlub::total(const Schedule& schedule) {
    double s = 0.0;
    for (std::size_t k = 0; k + 1 < schedule.size(); ++k) {
        if (p_.gaussian) {
            s += klub_interval_gaussian(p_.gaussian->variance(), schedule[k + 1], schedule[k]);
        } else {
            const KlubMonteCarlo mc{p_.klub_samples, seed_, 0.0, p_.threads};
            s += klub_interval_mc(*p_.data, *p_.denoiser, schedule[k + 1], schedule[k], 0, mc).value;
        }
    }
    return s;
}

double GridKlub::total(const std::vector<std::size_t>& path) {
    double s = 0.0;
    for (std::size_t k = 0; k + 1 < path.size(); ++k) s += (*this)(path[k], path[k + 1]);
    return s;
}

std::vector<std::size_t> snap_to_grid(const Schedule& schedule, const std::vector<double>& grid) {
    const std::size_t m = schedule.size(), g = grid.size();
    if (m > g) throw InputError(fmt::format("a {}-step schedule does not fit a grid of {} sigmas", m - 1, g));
    std::vector<std::size_t> idx(m);
    for (std::size_t k = 0; k < m; ++k) {
        std::size_t best = 0;
        for (std::size_t q = 1; q < g; ++q)
            if (std::abs(std::log(grid[q] / schedule[k])) < std::abs(std::log(grid[best] / schedule[k]))) best = q;
        idx[k] = best;
    }
    // Strictly increasing with the ends fixed: knot k lies in [idx[k-1] + 1, g - 1 - (m - 1 - k)], an
    // interval that is never empty since idx[k-1] obeys the same bound.
    idx.front() = 0;
    for (std::size_t k = 1; k < m; ++k) idx[k] = std::clamp(idx[k], idx[k - 1] + 1, g - m + k);
    idx.back() = g - 1;
    return idx;
}

Schedule grid_schedule(const std::vector<std::size_t>& path, const std::vector<double>& grid) {
    std::vector<double> s;
    for (const auto i : path) s.push_back(grid[i]);
    return Schedule(std::move(s));
}

OptimisedSchedule optimise_ays_dp(const ScheduleProblem& p, GridKlub& klub) {
    const auto start = clock_type::now();
    double total = 0.0;
    const auto path = dp_min_path(klub.grid().size(), p.steps, std::ref(klub), &total);
    // Its cost is the interval table's (every grid interval, computed once and shared by all step
    // counts; 0 for the closed form).
    return {grid_schedule(path, klub.grid()), total, klub.evaluations(), seconds_since(start), {}};
}

OptimisedSchedule optimise_ays_grid_descent(const ScheduleProblem& p, GridKlub& klub, const Schedule& start_schedule) {
    const auto start = clock_type::now();
    const std::size_t before = klub.evaluations();
    auto path = snap_to_grid(start_schedule, klub.grid());
    (void)p;
    for (bool moved = true; moved;) {
        moved = false;
        for (std::size_t k = 1; k + 1 < path.size(); ++k) {
            std::size_t best = path[k];
            double best_cost = klub(path[k - 1], best) + klub(best, path[k + 1]);
            for (std::size_t q = path[k - 1] + 1; q < path[k + 1]; ++q) {
                const double c = klub(path[k - 1], q) + klub(q, path[k + 1]);
                if (c < best_cost) {
                    best_cost = c;
                    best = q;
                }
            }
            if (best != path[k]) {
                path[k] = best;
                moved = true;
            }
        }
    }
    return {grid_schedule(path, klub.grid()), klub.total(path), klub.evaluations() - before, seconds_since(start), {}};
}

std::vector<double> denoising_errors(const ScheduleProblem& p, const std::vector<double>& grid, std::uint64_t seed,
                                     std::size_t* evaluations) {
    std::vector<double> err(grid.size(), 0.0);
    if (p.gaussian) {
        // Var[x0 | x_sigma] per coordinate: c^2 sigma^2 / (c^2 + sigma^2).
        for (std::size_t g = 0; g < grid.size(); ++g)
            for (double v : p.gaussian->variance()) err[g] += v * grid[g] * grid[g] / (v + grid[g] * grid[g]);
        return err;
    }
    const std::size_t n = p.klub_samples, d = p.data->dim();
    std::vector<double> x0(n * d), eps(n * d), x(n * d), den(n * d);
    std::vector<Label> labels(p.labelled ? n : 0);  // each draw at its own class (labelled problems)
    if (p.labelled)
        sample_marginal_labelled(*p.data, 0.0, x0, labels, n, seed, p.threads);
    else
        sample_marginal(*p.data, 0.0, x0, n, seed, p.threads);
    for (std::size_t i = 0; i < n; ++i)
        fill_normal({seed, static_cast<std::uint64_t>(Stream::metrics), i, 17}, {eps.data() + i * d, d});
    for (std::size_t g = 0; g < grid.size(); ++g) {
        for (std::size_t k = 0; k < n * d; ++k) x[k] = x0[k] + grid[g] * eps[k];
        if (p.labelled)
            p.denoiser->denoise_labelled(x, n, grid[g], labels, den);
        else
            p.denoiser->denoise(x, n, grid[g], den);
        double s = 0.0;
        for (std::size_t k = 0; k < n * d; ++k) s += (x0[k] - den[k]) * (x0[k] - den[k]);
        err[g] = s / static_cast<double>(n);
        if (evaluations) *evaluations += n;
    }
    return err;
}

double ancestral_step_elbo(double sigma_from, double sigma_to, double denoising_error) {
    // Posterior and model share the variance v = s^2 (1 - s^2/t^2); their means differ by
    // (1 - s^2/t^2)(x0 - D): E|.|^2 / (2 v) = (t^2 - s^2) / (2 s^2 t^2) E|x0 - D|^2.
    const double t2 = sigma_from * sigma_from, s2 = sigma_to * sigma_to;
    return (t2 - s2) / (2.0 * s2 * t2) * denoising_error;
}

OptimisedSchedule optimise_watson(const ScheduleProblem& p, std::uint64_t seed) {
    const auto start = clock_type::now();
    const auto grid = log_grid(p.sigma_min, p.sigma_max, p.grid);
    std::size_t evaluations = 0;
    const auto err = denoising_errors(p, grid, seed, &evaluations);
    double total = 0.0;
    const auto path = dp_min_path(
        grid.size(), p.steps, [&](std::size_t i, std::size_t j) { return ancestral_step_elbo(grid[i], grid[j], err[i]); },
        &total);
    return {grid_schedule(path, grid), total, evaluations, seconds_since(start), {}};
}

std::vector<double> gits_costs(const ScheduleProblem& p, const Teacher& t, const Solver& solver,
                               std::size_t* evaluations) {
    const std::size_t g = t.grid.size(), n = t.n, d = t.d;
    const SamplerOptions options = teacher_solve(p, t);
    const std::size_t chunk = sampler_chunk(*p.denoiser, options.chunk, 512, n);
    std::size_t rows = 0;
    std::vector<double> cost(g * g, 0.0), x(n * d), first(n * d);
    for (std::size_t i = 0; i + 1 < g; ++i) {
        // D(x_teacher(sigma_i); sigma_i) in the solves' own chunks (so each row's value is the one the
        // solve would get), then every step i -> j with that call served from it.
        cluster::parallel_for_calling(*p.denoiser, chunk_count(n, chunk), p.threads, [&](std::size_t c) {
            const std::size_t lo = c * chunk, count = std::min(chunk, n - lo);
            const std::span<const double> xc(t.states[i].data() + lo * d, count * d);
            const std::span<double> out(first.data() + lo * d, count * d);
            if (t.labels.empty())
                p.denoiser->denoise(xc, count, t.grid[i], out);
            else
                p.denoiser->denoise_labelled(xc, count, t.grid[i], std::span(t.labels).subspan(lo, count), out);
        });
        rows += n;
        const FirstCallCache cached(*p.denoiser, x, t.states[i], t.grid[i], first);
        for (std::size_t j = i + 1; j < g; ++j) {
            std::copy(t.states[i].begin(), t.states[i].end(), x.begin());  // in place: the cache knows x's address
            rows += one_step(cached, p, t, solver, x, t.grid[i], t.grid[j]);
            cost[i * g + j] = mean_squared_distance(x, t.states[j], n);
        }
        rows -= cached.served();
    }
    if (evaluations) *evaluations += rows;
    return cost;
}

OptimisedSchedule optimise_gits(const ScheduleProblem& p, const Teacher& t, const Solver& solver) {
    const auto start = clock_type::now();
    const std::size_t g = t.grid.size();
    std::size_t evaluations = 0;
    const std::vector<double> cost = gits_costs(p, t, solver, &evaluations);
    double total = 0.0;
    const auto path = dp_min_path(g, p.steps, [&](std::size_t i, std::size_t j) { return cost[i * g + j]; }, &total);
    const Schedule s = grid_schedule(path, t.grid);
    return {s, teacher_distance(p, t, solver, s, &evaluations), evaluations, seconds_since(start), {}};
}

OptimisedSchedule optimise_oss(const ScheduleProblem& p, const Teacher& t, const Solver& solver) {
    const auto start = clock_type::now();
    const std::size_t g = t.grid.size(), steps = p.steps;
    if (steps < 1 || steps > g - 1) throw InputError(fmt::format("{} steps do not fit a grid of {} sigmas", steps, g));
    std::size_t evaluations = 0;
    constexpr double inf = std::numeric_limits<double>::infinity();
    // Cells (k, j): the best k-step path from grid[0] to grid[j] (the one whose student lands nearest
    // the teacher there) and that distance. A candidate is scored by running the solver over the whole
    // candidate path from the teacher's start points, so a multistep solver keeps its history.
    std::vector<std::vector<double>> dist(steps + 1, std::vector<double>(g, inf));
    std::vector<std::vector<std::vector<std::size_t>>> path(steps + 1, std::vector<std::vector<std::size_t>>(g));
    dist[0][0] = 0.0;
    path[0][0] = {0};
    std::vector<double> x;
    for (std::size_t k = 1; k <= steps; ++k) {
        // The last step must land on sigma_min; earlier ones leave room for the steps after them.
        const std::size_t j_lo = k == steps ? g - 1 : k, j_hi = g - 1 - (steps - k);
        for (std::size_t j = j_lo; j <= j_hi; ++j)
            for (std::size_t i = k - 1; i < j; ++i) {
                if (dist[k - 1][i] == inf) continue;
                auto candidate = path[k - 1][i];
                candidate.push_back(j);
                x = t.states[0];
                const auto stats = sample(*p.denoiser, solver, grid_schedule(candidate, t.grid), x, t.n,
                                          teacher_solve(p, t));
                evaluations += stats.nfe * t.n;
                const double d = mean_squared_distance(x, t.states[j], t.n);
                if (d < dist[k][j]) {
                    dist[k][j] = d;
                    path[k][j] = std::move(candidate);
                }
            }
    }
    return {grid_schedule(path[steps][g - 1], t.grid), dist[steps][g - 1], evaluations, seconds_since(start), {}};
}

OptimisedSchedule optimise_ld3(const ScheduleProblem& p, const Teacher& t, const Solver& solver,
                               const Schedule& start_schedule, std::size_t iterations, double slack) {
    const auto start = clock_type::now();
    const std::size_t n = start_schedule.steps();
    const double L = std::log(p.sigma_max / p.sigma_min);
    std::size_t evaluations = 0;
    // Gap logits u: gaps in log sigma = L softmax(u), so every u gives a decreasing schedule.
    std::vector<double> u(n);
    for (std::size_t k = 0; k < n; ++k) u[k] = std::log(std::log(start_schedule[k] / start_schedule[k + 1]) / L);
    auto schedule_of = [&](const std::vector<double>& logits) {
        const double m = *std::max_element(logits.begin(), logits.end());
        double z = 0.0;
        for (double v : logits) z += std::exp(v - m);
        // Each gap keeps at least 1e-6 of the log length, so no two sigmas coincide whatever the logits.
        constexpr double floor = 1e-6;
        std::vector<double> s = {p.sigma_max};
        double logs = std::log(p.sigma_max);
        for (std::size_t k = 0; k < n; ++k) {
            logs -= L * (floor + (1.0 - floor * static_cast<double>(n)) * std::exp(logits[k] - m) / z);
            s.push_back(std::exp(logs));
        }
        s.back() = p.sigma_min;
        return Schedule(std::move(s));
    };
    // The students' starts (the teacher's own, moved within the slack ball below).
    std::vector<double> starts = t.states.front();
    const std::size_t d = t.d;
    auto distances = [&](const Schedule& schedule, const std::vector<double>& from) {
        return teacher_distances(p, t, solver, schedule, from, &evaluations);
    };
    auto mean = [](const std::vector<double>& v) {
        double s = 0.0;
        for (double x : v) s += x;
        return s / static_cast<double>(v.size());
    };
    auto loss = [&](const std::vector<double>& logits) { return mean(distances(schedule_of(logits), starts)); };
    double current = loss(u), rate = 0.5;
    constexpr double h = 1e-4;
    std::vector<double> grad(n), trial(n);
    const double radius = slack * p.sigma_max;
    for (std::size_t it = 0; it < iterations; ++it) {
        for (std::size_t k = 0; k < n; ++k) {
            trial = u;
            trial[k] += h;
            const double up = loss(trial);
            trial[k] = u[k] - h;
            grad[k] = (up - loss(trial)) / (2.0 * h);
        }
        // Backtracking: halve the rate until the loss falls (at most 20 halvings).
        bool improved = false;
        for (int b = 0; b < 20 && !improved; ++b, rate *= 0.5) {
            for (std::size_t k = 0; k < n; ++k) trial[k] = u[k] - rate * grad[k];
            const double v = loss(trial);
            if (v < current) {
                u = trial;
                current = v;
                improved = true;
                rate *= 4.0;  // undo this halving and try a larger step next time
            }
        }
        if (radius > 0.0) {
            // Each particle's distance depends on its own start only (a deterministic solver runs the
            // rows independently), so one batch run per perturbed coordinate gives every particle's
            // central difference. Step of radius / 4 along the negative gradient, projected onto the
            // ball, kept where the particle's distance falls.
            const Schedule sched = schedule_of(u);
            const auto base = distances(sched, starts);
            std::vector<double> g(starts.size()), moved = starts;
            const double eps = 1e-6 * p.sigma_max;
            for (std::size_t k = 0; k < d; ++k) {
                std::vector<double> plus = starts, minus = starts;
                for (std::size_t i = 0; i < t.n; ++i) {
                    plus[i * d + k] += eps;
                    minus[i * d + k] -= eps;
                }
                const auto dp = distances(sched, plus), dm = distances(sched, minus);
                for (std::size_t i = 0; i < t.n; ++i) g[i * d + k] = (dp[i] - dm[i]) / (2.0 * eps);
            }
            for (std::size_t i = 0; i < t.n; ++i) {
                double gn = 0.0, off = 0.0;
                for (std::size_t k = 0; k < d; ++k) gn += g[i * d + k] * g[i * d + k];
                gn = std::sqrt(gn);
                if (gn == 0.0) continue;
                for (std::size_t k = 0; k < d; ++k) {
                    moved[i * d + k] -= 0.25 * radius * g[i * d + k] / gn;
                    const double e = moved[i * d + k] - t.states.front()[i * d + k];
                    off += e * e;
                }
                if (off > radius * radius) {  // project onto the ball
                    const double f = radius / std::sqrt(off);
                    for (std::size_t k = 0; k < d; ++k)
                        moved[i * d + k] = t.states.front()[i * d + k] + f * (moved[i * d + k] - t.states.front()[i * d + k]);
                }
            }
            const auto after = distances(sched, moved);
            for (std::size_t i = 0; i < t.n; ++i)
                if (after[i] < base[i])
                    std::copy_n(moved.begin() + static_cast<std::ptrdiff_t>(i * d), d,
                                starts.begin() + static_cast<std::ptrdiff_t>(i * d));
            current = loss(u);
            improved = true;  // the starts moved: the schedule may improve again
        }
        if (!improved) break;
    }
    return {schedule_of(u), current, evaluations, seconds_since(start), {}};
}

}  // namespace ayslab
