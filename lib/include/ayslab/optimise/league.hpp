// Schedule optimisers beside AYS, behind one interface (docs/optimiser-league.md): a problem (data, a
// denoiser, the sigma range, a step count) and a solver give a schedule and the optimiser's cost in
// denoiser evaluations and seconds. What each one minimises, in the project's sigma convention:
//   ays-dp   the summed KLUB (MATH §5) over schedules whose sigmas lie on a candidate grid: the KLUB is
//            separable over intervals, so dynamic programming finds its global optimum on the grid.
//   ays-grid coordinate descent on the same grid and the same interval costs (what AYS does, on a grid):
//            its KLUB can only be >= ays-dp's.
//   watson   Watson et al. 2021: DP over the grid on the per-step ELBO terms of the ancestral (DDPM /
//            linearised-SDE) step, L(sigma_i -> sigma_j) = E KL(q(x_j | x_i, x0) || p(x_j | x_i)) =
//            (sigma_i^2 - sigma_j^2) / (2 sigma_j^2 sigma_i^2) E|x0 - D(x_i; sigma_i)|^2 (MATH §6 in the
//            sigma convention), closed form on Gaussian data, else Monte Carlo (common draws). With the
//            exact denoiser this is the KLUB plus a schedule-independent constant (MATH §5): the same
//            optimum as ays-dp.
//   gits     GITS (Chen et al. 2024): DP over the grid with the cost of a step i -> j the teacher's local
//            error, E |step(x_teacher(sigma_i); sigma_i -> sigma_j) - x_teacher(sigma_j)|^2.
//   oss      OSS (Pei et al. 2025): DP whose cells hold the student's own path: the best predecessor of
//            (k steps, sigma_j) is the one whose student, run over its path and on to sigma_j, lands
//            nearest the teacher there (the whole path is re-run, so multistep solvers keep their history).
//   ld3      LD3 (Tong et al. 2025): gradient descent on the final teacher-student distance
//            E |student(x_T; schedule) - teacher(x_T)|^2 over the interior log sigmas (parametrised by
//            softmax gap logits, so the schedule stays decreasing); gradient by central finite
//            differences; no slack term (r = 0).
// Every step of gits restarts the solver from the teacher (a multistep solver takes its first-order step
// there, as in GITS's local-error cost).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <span>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/solver.hpp"

namespace ayslab {

struct AysResult;  // optimise/ays.hpp

struct ScheduleProblem {
    const Data* data = nullptr;
    const Denoiser* denoiser = nullptr;
    const DiagonalGaussian* gaussian = nullptr;  // set for Gaussian data: closed-form interval KLUB
    double sigma_min = 0.002, sigma_max = 80.0;
    std::size_t steps = 10;
    std::size_t grid = 60;            // candidate sigmas, log-uniform, both ends included
    std::size_t klub_samples = 512;   // Monte Carlo samples per grid interval (non-Gaussian data)
    std::uint64_t seed = 0;
    std::size_t threads = 1;
    // Labelled data and a conditional denoiser: the teacher's particles and ays-path's Brownian paths
    // draw (x_0, y) pairs and run at their own class (guided where the denoiser guides), so the
    // schedule is fitted to the conditional flow the user samples, not to the unconditional one.
    bool labelled = false;
};

struct OptimisedSchedule {
    Schedule schedule;
    double objective = 0.0;        // the optimiser's own objective at its result
    std::size_t evaluations = 0;   // denoiser evaluations (rows) it spent
    double seconds = 0.0;
    std::shared_ptr<const AysResult> ays;  // ays, ays-klub: every stage and the trace (else empty)
};

// Descending log-uniform grid of n >= 2 sigmas from hi to lo.
std::vector<double> log_grid(double lo, double hi, std::size_t n);

// The cheapest path grid[0] -> grid[G-1] with exactly `steps` hops i -> j (i < j), cost(i, j) each;
// returns the grid indices (steps + 1 of them) and the total in *total.
std::vector<std::size_t> dp_min_path(std::size_t grid, std::size_t steps,
                                     const std::function<double(std::size_t, std::size_t)>& cost, double* total);

// Teacher trajectories: `particles` draws of the exact p_sigma_max run by Heun with `teacher_steps`
// log-uniform steps through every grid sigma; states[g] holds them at grid[g] (n x d). With a labelled
// problem each particle draws its class with its start (labels, n) and keeps it along its path.
struct Teacher {
    std::vector<double> grid;
    std::size_t n = 0, d = 0;
    std::vector<std::vector<double>> states;
    std::vector<Label> labels;  // empty: unlabelled
    std::size_t evaluations = 0;
};
Teacher make_teacher(const ScheduleProblem& problem, std::size_t particles, std::size_t teacher_steps,
                     std::uint64_t seed);

// Mean over particles of |student(x_T; schedule) - teacher(x_T)|^2 at sigma_min (the teacher's
// particles and start points); *evaluations gets the denoiser rows spent.
double teacher_distance(const ScheduleProblem& problem, const Teacher& teacher, const Solver& solver,
                        const Schedule& schedule, std::size_t* evaluations = nullptr);
// The same per particle (|student_i - teacher_i|^2, i < teacher.n): for standard errors, and paired
// differences between schedules on the same teacher. The student starts from `starts` (n x d) when
// given, else from the teacher's own start points (LD3's slack moves them).
std::vector<double> teacher_distances(const ScheduleProblem& problem, const Teacher& teacher, const Solver& solver,
                                      const Schedule& schedule, std::span<const double> starts = {},
                                      std::size_t* evaluations = nullptr);

// Interval KLUB costs over the grid (closed form for Gaussian data, else Monte Carlo with the same
// draws for every interval: common random numbers), computed once and cached.
class GridKlub {
  public:
    GridKlub(const ScheduleProblem& problem, std::uint64_t seed);
    double operator()(std::size_t i, std::size_t j);  // interval grid[i] -> grid[j], i < j
    double total(const std::vector<std::size_t>& path);
    // Any schedule's summed KLUB with the same estimator (same draws), e.g. continuous AYS's result.
    double total(const Schedule& schedule);
    const std::vector<double>& grid() const { return grid_; }
    std::size_t evaluations() const { return evaluations_; }

  private:
    const ScheduleProblem& p_;
    std::uint64_t seed_;
    std::vector<double> grid_, cache_;
    std::size_t evaluations_ = 0;
};

// Every grid interval's KLUB from one table of denoiser values along Brownian paths (MATH §5): with
// x(s) = x0 + W(s^2), the pair (x(s), x(s_hi)) has the KLUB's joint law (x_hi = x_s + sqrt(s_hi^2 - s^2) z)
// for every two grid sigmas at once, so D(x(s_g); s_g), evaluated once per path and grid sigma, serves
// every interval: KLUB(s_j .. s_i) = int s^-3 E|D(x(s); s) - D(x(s_i); s_i)|^2 ds, by product
// integration over `panels` log-uniform panels per grid step. paths x (panels (grid - 1) + 1) denoiser
// rows in all (GridKlub: 2 x samples per interval, grid (grid - 1) / 2 intervals); the same paths serve
// every interval (common random numbers).
class PathKlub {
  public:
    static constexpr std::size_t panels = 4;
    PathKlub(const ScheduleProblem& problem, std::size_t paths, std::uint64_t seed);
    double operator()(std::size_t i, std::size_t j) const;  // interval grid[i] -> grid[j], i < j
    const std::vector<double>& grid() const { return grid_; }
    std::size_t evaluations() const { return evaluations_; }

  private:
    std::vector<double> grid_, cost_;
    std::size_t evaluations_ = 0;
};
// The DP over the path KLUB's grid (ays-path): `paths` Brownian paths, problem.grid sigmas.
OptimisedSchedule optimise_ays_path_dp(const ScheduleProblem& problem, std::size_t paths);
// The same on a table made before (it serves every step count: evaluations 0, the table's rows are
// counted where it was made).
OptimisedSchedule optimise_ays_path_dp(const ScheduleProblem& problem, const PathKlub& klub);

// The grid indices nearest (in log sigma) to a schedule's sigmas, made strictly increasing.
std::vector<std::size_t> snap_to_grid(const Schedule& schedule, const std::vector<double>& grid);
Schedule grid_schedule(const std::vector<std::size_t>& path, const std::vector<double>& grid);

// evaluations: the whole interval table's (shared by every step count).
OptimisedSchedule optimise_ays_dp(const ScheduleProblem& problem, GridKlub& klub);
OptimisedSchedule optimise_ays_grid_descent(const ScheduleProblem& problem, GridKlub& klub, const Schedule& start);
// E|x0 - D(x; sigma)|^2 at each grid sigma (x ~ p_sigma): closed form on Gaussian data, else the mean
// over `samples` draws (the same x0 and noise for every sigma). *evaluations gets the denoiser rows.
std::vector<double> denoising_errors(const ScheduleProblem& problem, const std::vector<double>& grid,
                                     std::uint64_t seed, std::size_t* evaluations = nullptr);
// The per-step ELBO term of the ancestral step sigma_from -> sigma_to given E|x0 - D|^2 at sigma_from.
double ancestral_step_elbo(double sigma_from, double sigma_to, double denoising_error);
OptimisedSchedule optimise_watson(const ScheduleProblem& problem, std::uint64_t seed);
// GITS's cost matrix (g x g, row-major; entry (i, j), i < j: the mean over particles of
// |step(x_teacher(sigma_i); sigma_i -> sigma_j) - x_teacher(sigma_j)|^2, the rest 0). The first call of
// every step from grid point i, D(x_teacher(sigma_i); sigma_i), is made once for all j (Euler's step is
// that call: g - 1 calls of n rows in all, not (g - 1) g / 2); *evaluations gets the model rows spent.
std::vector<double> gits_costs(const ScheduleProblem& problem, const Teacher& teacher, const Solver& solver,
                               std::size_t* evaluations = nullptr);
OptimisedSchedule optimise_gits(const ScheduleProblem& problem, const Teacher& teacher, const Solver& solver);
OptimisedSchedule optimise_oss(const ScheduleProblem& problem, const Teacher& teacher, const Solver& solver);
// LD3 with its slack (soft teacher forcing): slack = r > 0 lets each student start x'_i move within
// the ball |x'_i - x_T,i| <= r sigma_max around the teacher's start (LD3's B(x_T, r sigma_T)); each
// iteration takes a gradient step on the schedule with the current starts, then a projected step on
// each start, kept only where it lowers that particle's distance (as LD3's code does). slack = 0: the
// plain teacher-student distance. The returned objective is the surrogate's.
OptimisedSchedule optimise_ld3(const ScheduleProblem& problem, const Teacher& teacher, const Solver& solver,
                               const Schedule& start, std::size_t iterations, double slack = 0.0);

// The optimisers above by name (ays-dp, ays-path, ays-grid, watson, gits, oss, ld3; ays-path takes
// problem.klub_samples paths), with the draws and teacher the
// optimiser-league experiment gives them for the problem's seed: the teacher-based ones (gits, oss, ld3)
// optimise for `solver` (deterministic) from a teacher of `particles` Heun paths of `teacher_steps`
// steps, counted in the result's evaluations; ays-grid and ld3 start from `start`.
struct LeagueOptimiserOptions {
    std::size_t particles = 128, teacher_steps = 1000, ld3_iterations = 10;
    double ld3_slack = 0.0;
    // A teacher made once for the problem (make_teacher with particles, teacher_steps and the problem's
    // seed) and shared by every teacher-based optimiser and sampler of a run; its rows are then not
    // counted in each optimiser's evaluations (the caller counts them once). Null: each makes its own.
    const Teacher* teacher = nullptr;
    // ays-path's table made once for the problem (PathKlub with problem.klub_samples paths and
    // streams::path_klub_seed(seed)) and shared by every step count; null: made per call.
    const PathKlub* path_klub = nullptr;
};

}  // namespace ayslab
