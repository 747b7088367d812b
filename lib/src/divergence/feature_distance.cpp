#include "ayslab/divergence/feature_distance.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "../kernels/blas.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/random_address.hpp"
#include "ayslab/rng.hpp"

// LAPACK's symmetric eigen-solver (divide and conquer), from OpenBLAS.
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info);

namespace ayslab {

namespace {

// Eigen-decomposition of a symmetric d x d matrix (row-major = column-major for a symmetric one):
// on return `a` holds the eigenvectors (column k of the column-major result = row k here), w the
// eigenvalues in ascending order.
void symmetric_eigen(std::vector<double>& a, std::vector<double>& w, int d) {
    w.assign(static_cast<std::size_t>(d), 0.0);
    const char jobz = 'V', uplo = 'U';
    int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
    double work_query = 0.0;
    dsyevd_(&jobz, &uplo, &d, a.data(), &d, w.data(), &work_query, &lwork, &iwork_query, &liwork, &info);
    lwork = static_cast<int>(work_query);
    liwork = iwork_query;
    std::vector<double> work(static_cast<std::size_t>(lwork));
    std::vector<int> iwork(static_cast<std::size_t>(liwork));
    dsyevd_(&jobz, &uplo, &d, a.data(), &d, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
    if (info != 0) throw NumericalError(fmt::format("symmetric eigen-decomposition failed (LAPACK dsyevd info {})", info));
}

void check_finite(std::span<const double> x, const char* what) {
    for (double v : x)
        if (!std::isfinite(v)) throw InputError(fmt::format("{}: the features hold a non-finite value", what));
}

}  // namespace

FeatureGaussian feature_gaussian(std::span<const double> features, std::size_t n, std::size_t d) {
    if (d == 0 || features.size() != n * d)
        throw InputError(fmt::format("feature Gaussian: {} values are not {} rows of dimension {}", features.size(), n, d));
    if (n <= d)
        throw InputError(fmt::format("FID is not defined on {} feature rows of dimension {}: their covariance is singular "
                                     "(it needs more rows than dimensions)",
                                     n, d));
    check_finite(features, "feature Gaussian");
    FeatureGaussian g;
    g.n = n;
    g.d = d;
    g.mean.assign(d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < d; ++k) g.mean[k] += features[i * d + k];
    for (double& m : g.mean) m /= static_cast<double>(n);
    // Two passes: centre, then C = Xc^T Xc / (n - 1) (dsyrk fills the upper triangle; mirrored below).
    std::vector<double> centred(n * d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < d; ++k) centred[i * d + k] = features[i * d + k] - g.mean[k];
    detail::single_threaded_blas();
    g.covariance.assign(d * d, 0.0);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(d), static_cast<int>(n),
                1.0 / static_cast<double>(n - 1), centred.data(), static_cast<int>(d), 0.0, g.covariance.data(),
                static_cast<int>(d));
    for (std::size_t r = 0; r < d; ++r)
        for (std::size_t c = 0; c < r; ++c) g.covariance[r * d + c] = g.covariance[c * d + r];
    return g;
}

double frechet_distance(const FeatureGaussian& a, const FeatureGaussian& b) {
    if (a.d != b.d || a.d == 0)
        throw InputError(fmt::format("FID: feature dimensions {} and {} differ", a.d, b.d));
    const std::size_t d = a.d;
    const int di = static_cast<int>(d);
    double mean_term = 0.0, trace = 0.0;
    for (std::size_t k = 0; k < d; ++k) {
        const double e = a.mean[k] - b.mean[k];
        mean_term += e * e;
        trace += a.covariance[k * d + k] + b.covariance[k * d + k];
    }
    // R = S1^1/2 = V diag(sqrt(max(lambda, 0))) V^T.
    std::vector<double> v = a.covariance, w;
    symmetric_eigen(v, w, di);
    // (dsyevd's eigenvectors are the columns of the column-major result, i.e. the rows of v here.)
    std::vector<double> scaled(d * d);
    for (std::size_t k = 0; k < d; ++k) {
        const double s = std::sqrt(std::max(w[k], 0.0));
        for (std::size_t j = 0; j < d; ++j) scaled[k * d + j] = v[k * d + j] * s;
    }
    std::vector<double> root(d * d);
    detail::single_threaded_blas();
    // root = V diag(s) V^T = sum_k s_k v_k v_k^T = v^T (diag(s) v) with v's rows the eigenvectors.
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, di, di, di, 1.0, v.data(), di, scaled.data(), di, 0.0,
                root.data(), di);
    // M = R S2 R (symmetric positive semi-definite); tr M^1/2 = sum sqrt(max(mu, 0)).
    std::vector<double> tmp(d * d), m(d * d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, di, di, di, 1.0, root.data(), di, b.covariance.data(), di,
                0.0, tmp.data(), di);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, di, di, di, 1.0, tmp.data(), di, root.data(), di, 0.0,
                m.data(), di);
    for (std::size_t r = 0; r < d; ++r)  // symmetrise the rounding
        for (std::size_t c = 0; c < r; ++c) m[r * d + c] = m[c * d + r] = 0.5 * (m[r * d + c] + m[c * d + r]);
    std::vector<double> mu;
    symmetric_eigen(m, mu, di);
    double trace_root = 0.0;
    for (double x : mu) trace_root += std::sqrt(std::max(x, 0.0));
    return mean_term + trace - 2.0 * trace_root;
}

KernelDistance kernel_distance(std::span<const double> a, std::size_t na, std::span<const double> b, std::size_t nb,
                               std::size_t d, const KernelDistanceOptions& o) {
    if (d == 0 || a.size() != na * d || b.size() != nb * d)
        throw InputError(fmt::format("KID: {} and {} values are not {} and {} rows of dimension {}", a.size(), b.size(),
                                     na, nb, d));
    if (o.subsets < 2) throw InputError("KID needs at least 2 subsets");
    const std::size_t m = std::min({na, nb, o.subset_size});
    if (m < 2) throw InputError(fmt::format("KID needs at least 2 rows in each set (got {} and {})", na, nb));
    check_finite(a, "KID");
    check_finite(b, "KID");
    KernelDistance out;
    out.subset_size = m;
    out.values.assign(o.subsets, 0.0);
    // Which rows a subset takes: a partial Fisher-Yates shuffle driven by uniforms at the subset's
    // address (Stream::metrics, step 1 + side: sliced W2's projections use step 0).
    auto pick = [&](std::size_t subset, std::size_t side, std::size_t n) {
        std::vector<std::size_t> index(n);
        std::iota(index.begin(), index.end(), std::size_t{0});
        std::vector<double> u(m);
        fill_uniform({o.seed, static_cast<std::uint64_t>(Stream::metrics), subset, 1 + side}, u);
        for (std::size_t i = 0; i < m; ++i) {
            const std::size_t span = n - i;
            const std::size_t j = i + std::min(span - 1, static_cast<std::size_t>(u[i] * static_cast<double>(span)));
            std::swap(index[i], index[j]);
        }
        index.resize(m);
        return index;
    };
    const double inv_d = 1.0 / static_cast<double>(d);
    parallel_for(o.subsets, o.threads, [&](std::size_t s) {
        const auto ia = pick(s, 0, na), ib = pick(s, 1, nb);
        std::vector<double> x(m * d), y(m * d), k(m * m);
        for (std::size_t i = 0; i < m; ++i) {
            std::copy_n(a.begin() + static_cast<std::ptrdiff_t>(ia[i] * d), d, x.begin() + static_cast<std::ptrdiff_t>(i * d));
            std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(ib[i] * d), d, y.begin() + static_cast<std::ptrdiff_t>(i * d));
        }
        const int mi = static_cast<int>(m), di = static_cast<int>(d);
        auto kernel_sum = [&](const std::vector<double>& p, const std::vector<double>& q, bool drop_diagonal) {
            detail::gemm(true, mi, mi, di, p.data(), di, q.data(), di, 0.0, k.data(), mi);
            double sum = 0.0;
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 0; j < m; ++j) {
                    if (drop_diagonal && i == j) continue;
                    const double t = k[i * m + j] * inv_d + 1.0;
                    sum += t * t * t;
                }
            return sum;
        };
        detail::single_threaded_blas();
        const double md = static_cast<double>(m);
        out.values[s] = (kernel_sum(x, x, true) + kernel_sum(y, y, true)) / (md * (md - 1.0)) -
                        2.0 * kernel_sum(x, y, false) / (md * md);
    });
    double sum = 0.0;
    for (double v : out.values) sum += v;
    out.mean = sum / static_cast<double>(o.subsets);
    double ss = 0.0;
    for (double v : out.values) ss += (v - out.mean) * (v - out.mean);
    out.std = std::sqrt(ss / static_cast<double>(o.subsets));
    out.se = std::sqrt(ss / static_cast<double>(o.subsets - 1)) / std::sqrt(static_cast<double>(o.subsets));
    return out;
}

}  // namespace ayslab
