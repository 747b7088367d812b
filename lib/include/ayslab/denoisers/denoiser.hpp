// A denoiser (MATH.md §2): D(x; sigma) ~ E[x_0 | x_0 + sigma eps = x], batched over N x d row-major
// storage. Every sampler, the KLUB estimators, the AYS optimiser and the likelihood take one. It may
// be the exact denoiser of a data distribution (data/data.hpp) or any other (a trained network).
// Score and eps-prediction derive from D (Tweedie).
//
// Conditional denoisers (class labels, classifier-free guidance) also take a label per row:
// D(x; sigma, y), with y = null_label (-1) meaning D(x; sigma) without a condition. The loops stay
// label-free: a view (conditional.hpp) binds the labels of a batch and presents the plain interface.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace ayslab {

// What a model's calls cost so far: calls made and rows evaluated (NetworkDenoiser counts them; the
// exact denoisers report zeros).
struct Evaluations {
    std::size_t calls = 0, rows = 0;
};

// A class label (0, 1, ...) or null_label (no condition: the unconditional model).
using Label = std::int32_t;
inline constexpr Label null_label = -1;

class Denoiser {
  public:
    virtual ~Denoiser() = default;
    virtual std::size_t dim() const = 0;
    // x, out: n rows of dim() values; out[i] = D(x[i]; sigma). x and out must not overlap.
    virtual void denoise(std::span<const double> x, std::size_t n, double sigma,
                         std::span<double> out) const = 0;
    // Rows with their own sigma: out[i] = D(x[i]; sigmas[i]). The default calls denoise() per row.
    virtual void denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                              std::span<double> out) const;
    // True when jacobian_trace() is exact (a closed form); false when it is the default's central
    // differences of D.
    virtual bool exact_divergence() const { return false; }
    // tr dD/dx for n rows (= tr Cov[x_0 | x] / sigma^2 for an exact denoiser, Tweedie's second
    // identity): the divergence of the probability-flow drift.
    virtual void jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                                std::span<double> out) const;
    // The relative rounding of D's values (2^-52 in float64; a float32 network 2^-23): finite
    // differences of D (Hutchinson's J eps) size their step by it.
    virtual double rounding() const { return 0x1p-52; }
    // True for a denoiser spread over MPI ranks (ShardedEmpiricalData): every rank must make the same
    // calls in the same order. Loops read it in one place, cluster::parallel_for_calling() (cluster.hpp).
    virtual bool collective() const { return false; }
    // False when calls from several threads at once would only queue (a Python callable holds the GIL,
    // a GPU model runs one call at a time): the loops then call it from one thread, whose model gets
    // every core (parallel.hpp's inner_threads). Read in the same place as collective().
    virtual bool concurrent_calls() const { return true; }
    // Rows per call this denoiser wants (0: no preference). A model (NetworkDenoiser, a Python callable
    // on a GPU) pays per call, so the KLUB estimators hand it whole blocks of their draws at once; the
    // exact denoisers keep the estimators' own small chunks, which spread over threads.
    virtual std::size_t batch_rows() const { return 0; }
    // The model evaluations made through this denoiser so far (zeros for an exact denoiser).
    virtual Evaluations evaluations() const { return {}; }

    // Conditional denoisers: the number of classes of y (0: the denoiser takes no label).
    virtual std::size_t classes() const { return 0; }
    // out[i] = D(x[i]; sigma, labels[i]); labels has n entries, or one that holds for every row.
    // null_label rows get D(x; sigma). The default (a denoiser without classes; one with classes
    // overrides it) accepts only null labels and calls denoise(); InputError names a label
    // out of range.
    virtual void denoise_labelled(std::span<const double> x, std::size_t n, double sigma,
                                  std::span<const Label> labels, std::span<double> out) const;
    // Rows with their own sigma and label: out[i] = D(x[i]; sigmas[i], labels[i]) (labels: n entries or
    // one for all), what the KLUB estimators call on a class-bound or guided view. The default: without
    // classes denoise_rows(); one label with a class denoiser of its own goes to that one's
    // denoise_rows(); otherwise row by row through denoise_labelled(). A model overrides it with one
    // call (NetworkDenoiser), guidance with one call of both branches (GuidedDenoiser).
    virtual void denoise_rows_labelled(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                                       std::span<const Label> labels, std::span<double> out) const;
    // An exact conditional denoiser made of one denoiser per class returns class y's (which then gives
    // D(x; sigma, y) for every call, with its own fast paths: denoise_rows, the divergence); null
    // otherwise (e.g. a guided one, which combines two).
    virtual const Denoiser* class_denoiser(Label) const { return nullptr; }
    // tr dD(x; sigma, y)/dx per row, as jacobian_trace() (same label rules as denoise_labelled). The
    // default: jacobian_trace() without classes, else central differences of denoise_labelled().
    virtual void jacobian_trace_labelled(std::span<const double> x, std::size_t n, double sigma,
                                         std::span<const Label> labels, std::span<double> out) const;
};

// A view over another denoiser (a class bound, labels per row, a guidance applied): what the view does
// not change is the base's, forwarded here once (dimension, divergence, rounding, how it is called,
// its evaluation count).
class DenoiserView : public Denoiser {
  public:
    explicit DenoiserView(const Denoiser& base) : base_(base) {}
    std::size_t dim() const override { return base_.dim(); }
    bool exact_divergence() const override { return base_.exact_divergence(); }
    double rounding() const override { return base_.rounding(); }
    bool collective() const override { return base_.collective(); }
    bool concurrent_calls() const override { return base_.concurrent_calls(); }
    std::size_t batch_rows() const override { return base_.batch_rows(); }
    Evaluations evaluations() const override { return base_.evaluations(); }

  protected:
    const Denoiser& base_;
};

// Checks a label list for n rows of a denoiser with `classes` classes (n entries or one; each in
// [0, classes) or null_label); throws InputError naming the first bad one.
void check_labels(std::span<const Label> labels, std::size_t n, std::size_t classes);

// Tweedie (MATH §2), with s = 1: score = (D - x) / sigma^2.
inline double score_from_denoised(double x, double denoised, double sigma) {
    return (denoised - x) / (sigma * sigma);
}
// eps-prediction: eps_hat = E[eps | x] = (x - D) / sigma = -sigma * score; also the probability-flow
// ODE's slope dx/dsigma (MATH §3), as the solvers use it.
inline double eps_from_denoised(double x, double denoised, double sigma) { return (x - denoised) / sigma; }

// Checks a batch shape; throws InputError on mismatch.
void check_batch(const Denoiser& denoiser, std::span<const double> x, std::size_t n,
                 std::span<const double> out);

}  // namespace ayslab
