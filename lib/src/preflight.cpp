#include "ayslab/preflight.hpp"

#include <algorithm>
#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"

namespace ayslab {

double PreflightReport::score() const {
    double s = 0.0;
    for (const auto& b : bands) s += std::log(std::max(b.model, 1e-300) / std::max(std::min(b.identity, b.mean), 1e-300));
    return bands.empty() ? 0.0 : s / static_cast<double>(bands.size());
}

PreflightReport preflight(const Data& data, const Denoiser& model, const PreflightOptions& o) {
    if (!(o.sigma_min > 0.0) || !(o.sigma_max > o.sigma_min) || o.bands < 1 || o.draws < 1)
        throw InputError("pre-flight: needs 0 < sigma_min < sigma_max, bands >= 1 and draws >= 1");
    const std::size_t d = data.dim(), n = o.draws;
    // The data's mean, from the same kind of draws (a fixed, seeded set).
    std::vector<double> mean(d, 0.0);
    {
        constexpr std::size_t m = 4096;
        std::vector<double> x(m * d);
        data.sample(m, o.seed, 1u << 30, x);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < d; ++j) mean[j] += x[i * d + j] / static_cast<double>(m);
    }
    PreflightReport r;
    std::vector<double> x0(n * d), eps(n * d), xt(n * d), u(n), sig(n), dm(n * d), dd(n * d);
    const double l0 = std::log(o.sigma_min), l1 = std::log(o.sigma_max);
    for (std::size_t b = 0; b < o.bands; ++b) {
        PreflightBand band;
        band.lo = std::exp(l0 + (l1 - l0) * static_cast<double>(b) / static_cast<double>(o.bands));
        band.hi = std::exp(l0 + (l1 - l0) * static_cast<double>(b + 1) / static_cast<double>(o.bands));
        const std::uint64_t stream = streams::preflight_draws;
        data.sample(n, o.seed, b * n, x0);
        fill_normal_flat(o.seed, stream, b, 0, eps);
        fill_uniform({o.seed, stream, b, 1}, u);
        for (std::size_t i = 0; i < n; ++i) {
            sig[i] = std::exp(std::log(band.lo) + (std::log(band.hi) - std::log(band.lo)) * u[i]);
            for (std::size_t j = 0; j < d; ++j) xt[i * d + j] = x0[i * d + j] + sig[i] * eps[i * d + j];
        }
        model.denoise_rows(xt, n, sig, dm);
        data.denoiser().denoise_rows(xt, n, sig, dd);
        r.evaluations += n;
        double em = 0.0, ei = 0.0, eu = 0.0, ed = 0.0;
        for (std::size_t k = 0; k < n * d; ++k) {
            const double x = x0[k], j = mean[k % d];
            em += (dm[k] - x) * (dm[k] - x);
            ei += (xt[k] - x) * (xt[k] - x);
            eu += (j - x) * (j - x);
            ed += (dd[k] - x) * (dd[k] - x);
        }
        const double per = 1.0 / static_cast<double>(n * d);
        band.model = std::isfinite(em) ? em * per : 1e300;
        band.identity = ei * per;
        band.mean = eu * per;
        band.data = ed * per;
        band.bad = band.model > o.worse_factor * std::min(band.identity, band.mean);
        r.bad_bands += band.bad;
        r.bands.push_back(band);
    }
    return r;
}

std::vector<RankedCandidate> rank_candidates(const Data& data, std::size_t count,
                                             const std::function<Candidate(std::size_t)>& make,
                                             const PreflightOptions& o) {
    std::vector<RankedCandidate> out;
    for (std::size_t k = 0; k < count; ++k) {
        try {
            auto c = make(k);
            PreflightOptions ok = o;
            ok.sigma_min = std::max(o.sigma_min, c.sigma_min * (1.0 + 1e-9));
            ok.sigma_max = std::min(o.sigma_max, c.sigma_max * (1.0 - 1e-9));
            if (!c.denoiser || !(ok.sigma_max > ok.sigma_min)) continue;
            auto rep = preflight(data, *c.denoiser, ok);
            // Scored over the whole range: bands the candidate cannot express count as trivial (log
            // ratio 0), so a process with a narrower range does not win by skipping the hard bands.
            const double covered = std::log(ok.sigma_max / ok.sigma_min) / std::log(o.sigma_max / o.sigma_min);
            out.push_back({k, rep.score() * covered, std::move(rep)});
        } catch (const InputError&) {
            continue;  // a convention that cannot express this sigma range
        }
    }
    // Scores equal to 1e-4 tie (an edm-parametrised model reads the same under every process whose
    // range covers the bands): the earlier candidate, the caller's preference, wins.
    auto key = [](double v) { return std::round(v * 1e4); };
    std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return key(a.score) < key(b.score); });
    return out;
}

}  // namespace ayslab
