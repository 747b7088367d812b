// A denoiser (MATH.md §2): D(x; sigma) ~ E[x_0 | x_0 + sigma eps = x], batched over N x d row-major
// storage. Every sampler, the KLUB estimators, the AYS optimiser and the likelihood take one. It may
// be the exact denoiser of a data distribution (data/data.hpp) or any other (a trained network).
// Score and eps-prediction derive from D (Tweedie).
//
// Conditional denoisers (class labels, classifier-free guidance) also take a label per row:
// D(x; sigma, y), with y = null_label (-1) meaning D(x; sigma) without a condition. The loops stay
// label-free: a view (conditional.hpp) binds the labels of a batch and presents the plain interface.
//
// One door: a denoiser implements evaluate(Batch) — k-diffusion's model(x, sigma, **extra) and EDM's
// net(x, sigma, class_labels) as one call, the batch holding one sigma or one per row and no label,
// one, or one per row — and, when it has a better one than central differences, trace(Batch). How
// it wants to be called is one struct, traits(). denoise(), denoise_rows(), denoise_labelled(),
// denoise_rows_labelled() and jacobian_trace[_labelled]() are the shapes callers use, all through
// that door.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ayslab {

// What a model's calls cost so far: calls made and rows evaluated (NetworkDenoiser counts them; the
// exact denoisers report zeros).
struct Evaluations {
    std::size_t calls = 0, rows = 0;
};

// The one evaluation counter: a model (NetworkDenoiser) counts its calls with it, a guidance view
// (GuidedDenoiser) the branch rows it asks of its base. Thread-safe.
class EvaluationCounter {
  public:
    void count(std::size_t rows) const {
        calls_.fetch_add(1, std::memory_order_relaxed);
        rows_.fetch_add(rows, std::memory_order_relaxed);
    }
    Evaluations total() const { return {calls_.load(), rows_.load()}; }
    void reset() const {
        calls_ = 0;
        rows_ = 0;
    }

  private:
    mutable std::atomic<std::size_t> calls_{0}, rows_{0};
};

// A class label (0, 1, ...) or null_label (no condition: the unconditional model).
using Label = std::int32_t;
inline constexpr Label null_label = -1;

// One call's rows: x (n rows of d values) at one sigma, or at a sigma per row, with no label (the
// unconditional model), one label for every row, or a label per row.
struct Batch {
    std::span<const double> x;
    std::size_t n = 0;
    double sigma = 0.0;              // every row's sigma when `sigmas` is empty
    std::span<const double> sigmas;  // empty, or n entries: a sigma per row
    std::span<const Label> labels;   // empty (null for all), one for all rows, or n entries

    bool one_sigma() const { return sigmas.empty(); }
    double sigma_of(std::size_t i) const { return sigmas.empty() ? sigma : sigmas[i]; }
    Label label_of(std::size_t i) const { return labels.empty() ? null_label : labels[labels.size() == 1 ? 0 : i]; }
    Batch with_labels(std::span<const Label> l) const { return {x, n, sigma, sigmas, l}; }
    // Row i alone (its sigma, its label), its values at z (d values).
    Batch row(std::size_t i, std::span<const double> z) const {
        return {z, 1, sigma_of(i), {}, labels.empty() ? labels : labels.subspan(labels.size() == 1 ? 0 : i, 1)};
    }
};

// How a denoiser wants to be called, and what it is.
struct DenoiserTraits {
    // The number of classes of y (0: the denoiser takes no label).
    std::size_t classes = 0;
    // True when trace() is exact (a closed form, or a network's autograd); false when it is the
    // default's central differences of D.
    bool exact_divergence = false;
    // The relative rounding of D's values (2^-52 in float64; a float32 network 2^-23): finite
    // differences of D (Hutchinson's J eps) size their step by it.
    double rounding = 0x1p-52;
    // True for a denoiser spread over MPI ranks (ShardedEmpiricalData): every rank must make the same
    // calls in the same order. Loops read it in one place, cluster::parallel_for_calling() (cluster.hpp).
    bool collective = false;
    // False when calls from several threads at once would only queue (a Python callable holds the GIL,
    // a GPU model runs one call at a time): the loops then call it from one thread, whose model gets
    // every core (parallel.hpp's inner_threads). Read in the same place as collective.
    bool concurrent_calls = true;
    // Rows per call this denoiser wants (0: no preference). A model (NetworkDenoiser, a Python callable
    // on a GPU) pays per call, so the KLUB estimators hand it whole blocks of their draws at once; the
    // exact denoisers keep the estimators' own small chunks, which spread over threads.
    std::size_t batch_rows = 0;
};

class Denoiser {
  public:
    virtual ~Denoiser() = default;
    virtual std::size_t dim() const = 0;
    virtual DenoiserTraits traits() const { return {}; }
    // out[i] = D(x[i]; sigma_i, y_i), n x d values; x and out must not overlap. A label outside
    // [0, classes) other than null_label is an InputError naming it.
    virtual void evaluate(const Batch& batch, std::span<double> out) const = 0;
    // tr dD(x; sigma, y)/dx per row (n values; = tr Cov[x_0 | x] / sigma^2 for an exact denoiser,
    // Tweedie's second identity): the divergence of the probability-flow drift. The default: central
    // differences of evaluate(), one row at a time.
    virtual void trace(const Batch& batch, std::span<double> out) const;
    // The model evaluations made through this denoiser so far (zeros for an exact denoiser).
    virtual Evaluations evaluations() const { return {}; }
    // An exact conditional denoiser made of one denoiser per class returns class y's (which then gives
    // D(x; sigma, y) for every call, with its own fast paths: per-row sigmas, the divergence); null
    // otherwise (e.g. a guided one, which combines two).
    virtual const Denoiser* class_denoiser(Label) const { return nullptr; }

    // The shapes of a call, all through evaluate() / trace():
    // out[i] = D(x[i]; sigma).
    void denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
        evaluate({x, n, sigma, {}, {}}, out);
    }
    // Rows with their own sigma: out[i] = D(x[i]; sigmas[i]) (InputError unless n sigmas).
    void denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                      std::span<double> out) const;
    // out[i] = D(x[i]; sigma, labels[i]); labels has n entries, or one that holds for every row.
    void denoise_labelled(std::span<const double> x, std::size_t n, double sigma, std::span<const Label> labels,
                          std::span<double> out) const;
    // Rows with their own sigma and label.
    void denoise_rows_labelled(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                               std::span<const Label> labels, std::span<double> out) const;
    void jacobian_trace(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
        trace({x, n, sigma, {}, {}}, out);
    }
    void jacobian_trace_labelled(std::span<const double> x, std::size_t n, double sigma,
                                 std::span<const Label> labels, std::span<double> out) const;

    // The traits one at a time.
    std::size_t classes() const { return traits().classes; }
    bool exact_divergence() const { return traits().exact_divergence; }
    double rounding() const { return traits().rounding; }
    bool collective() const { return traits().collective; }
    bool concurrent_calls() const { return traits().concurrent_calls; }
    std::size_t batch_rows() const { return traits().batch_rows; }
};

// A view over another denoiser (a class bound, labels per row, a guidance applied): what the view does
// not change is the base's, forwarded here once (dimension, traits, its evaluation count).
class DenoiserView : public Denoiser {
  public:
    explicit DenoiserView(const Denoiser& base) : base_(base) {}
    std::size_t dim() const override { return base_.dim(); }
    DenoiserTraits traits() const override { return base_.traits(); }
    Evaluations evaluations() const override { return base_.evaluations(); }

  protected:
    const Denoiser& base_;
};

// Checks a label list for n rows of a denoiser with `classes` classes (n entries, one, or none; each in
// [0, classes) or null_label); throws InputError naming the first bad one.
void check_labels(std::span<const Label> labels, std::size_t n, std::size_t classes);

// Checks a batch shape (x and out n x d values); throws InputError on mismatch.
void check_batch(const Denoiser& denoiser, std::span<const double> x, std::size_t n,
                 std::span<const double> out);
// Checks a batch with a sigma per row: x n x d values, out n x width, n sigmas.
void check_rows(const Denoiser& denoiser, const Batch& batch, std::span<const double> out, std::size_t width);

// For a denoiser without classes whose kernel takes one sigma: the batch's labels must be null
// (InputError naming one that is not); at one sigma the kernel one(x, n, sigma, out) takes the whole
// batch, at a sigma per row it is called row by row. width: the values per row of out (d for D, 1 for
// a trace).
template <class OneSigma>
void evaluate_at_each_sigma(const Denoiser& self, const Batch& b, std::span<double> out, std::size_t width,
                            OneSigma&& one) {
    check_labels(b.labels, b.n, self.classes());
    if (b.one_sigma()) return one(b.x, b.n, b.sigma, out);
    check_rows(self, b, out, width);
    const std::size_t d = self.dim();
    for (std::size_t i = 0; i < b.n; ++i) one(b.x.subspan(i * d, d), 1, b.sigmas[i], out.subspan(i * width, width));
}

// Tweedie (MATH §2), with s = 1: score = (D - x) / sigma^2.
inline double score_from_denoised(double x, double denoised, double sigma) {
    return (denoised - x) / (sigma * sigma);
}
// eps-prediction: eps_hat = E[eps | x] = (x - D) / sigma = -sigma * score; also the probability-flow
// ODE's slope dx/dsigma (MATH §3), as the solvers use it.
inline double eps_from_denoised(double x, double denoised, double sigma) { return (x - denoised) / sigma; }

}  // namespace ayslab
