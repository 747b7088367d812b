#include "ayslab/evaluation/preflight.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <optional>
#include <span>

#include "ayslab/cancel.hpp"
#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"

namespace ayslab {

namespace {
// What a band a reading cannot reach counts as in scores (PreflightOptions' default worse_factor).
constexpr double worse_factor_unreached = 1.5;
}  // namespace

double PreflightBand::ratio() const {
    return reached ? std::max(model, 1e-300) / std::max(std::min(identity, mean), 1e-300) : worse_factor_unreached;
}

double PreflightReport::score() const {
    double s = 0.0;
    for (const auto& b : bands) s += std::log(b.ratio());
    return bands.empty() ? 0.0 : s / static_cast<double>(bands.size());
}

const PreflightBand& PreflightReport::worst() const {
    const PreflightBand* w = &bands.front();
    for (const auto& b : bands)
        if (b.ratio() > w->ratio()) w = &b;
    return *w;
}

PreflightDraws make_preflight_draws(const Data& data, const PreflightOptions& o) {
    if (!(o.sigma_min > 0.0) || !(o.sigma_max > o.sigma_min) || o.bands < 1 || o.draws < 1)
        throw InputError("pre-flight: needs 0 < sigma_min < sigma_max, bands >= 1 and draws >= 1");
    const std::size_t d = data.dim(), n = o.draws;
    PreflightDraws w;
    w.options = o;
    w.dim = d;
    // The data's mean, from the same kind of draws (a fixed, seeded set).
    std::vector<double> mean(d, 0.0);
    {
        constexpr std::size_t m = 4096;
        std::vector<double> x(m * d);
        data.sample(m, o.seed, streams::preflight_mean_rows, x);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < d; ++j) mean[j] += x[i * d + j] / static_cast<double>(m);
    }
    w.x0.resize(o.bands * n * d);
    w.xt.resize(o.bands * n * d);
    w.sigma.resize(o.bands * n);
    std::vector<double> eps(n * d), u(n), dd(o.bands * n * d);
    const double l0 = std::log(o.sigma_min), l1 = std::log(o.sigma_max);
    for (std::size_t b = 0; b < o.bands; ++b) {
        PreflightBand band;
        band.lo = std::exp(l0 + (l1 - l0) * static_cast<double>(b) / static_cast<double>(o.bands));
        band.hi = std::exp(l0 + (l1 - l0) * static_cast<double>(b + 1) / static_cast<double>(o.bands));
        const std::uint64_t stream = streams::preflight_draws;
        const std::span<double> x0(w.x0.data() + b * n * d, n * d), xt(w.xt.data() + b * n * d, n * d);
        const std::span<double> sig(w.sigma.data() + b * n, n);
        data.sample(n, o.seed, b * n, x0);
        fill_normal_flat(o.seed, stream, b, 0, eps);
        fill_uniform({o.seed, stream, b, 1}, u);
        for (std::size_t i = 0; i < n; ++i) {
            sig[i] = std::exp(std::log(band.lo) + (std::log(band.hi) - std::log(band.lo)) * u[i]);
            for (std::size_t j = 0; j < d; ++j) xt[i * d + j] = x0[i * d + j] + sig[i] * eps[i * d + j];
        }
        w.bands.push_back(band);
    }
    // The data's own denoiser on every band at once (one call: the same draws serve every reading).
    data.denoiser().denoise_rows(w.xt, o.bands * n, w.sigma, dd);
    for (std::size_t b = 0; b < o.bands; ++b) {
        double ei = 0.0, eu = 0.0, ed = 0.0;
        for (std::size_t k = b * n * d; k < (b + 1) * n * d; ++k) {
            const double x = w.x0[k], j = mean[k % d];
            ei += (w.xt[k] - x) * (w.xt[k] - x);
            eu += (j - x) * (j - x);
            ed += (dd[k] - x) * (dd[k] - x);
        }
        const double per = 1.0 / static_cast<double>(n * d);
        w.bands[b].identity = ei * per;
        w.bands[b].mean = eu * per;
        w.bands[b].data = ed * per;
    }
    return w;
}

PreflightReport preflight(const PreflightDraws& w, const Denoiser& model, double reach_lo, double reach_hi) {
    const auto& o = w.options;
    const std::size_t d = w.dim, n = o.draws;
    PreflightReport r;
    // One model call for every band the reading reaches (a Python callable or a GPU model pays per call).
    std::vector<std::size_t> reached;
    for (std::size_t b = 0; b < o.bands; ++b)
        if (!(w.bands[b].lo < reach_lo || w.bands[b].hi > reach_hi)) reached.push_back(b);
    std::vector<double> xt(reached.size() * n * d), sig(reached.size() * n), dm(reached.size() * n * d);
    for (std::size_t k = 0; k < reached.size(); ++k) {
        std::copy_n(w.xt.begin() + static_cast<std::ptrdiff_t>(reached[k] * n * d), n * d, xt.begin() + static_cast<std::ptrdiff_t>(k * n * d));
        std::copy_n(w.sigma.begin() + static_cast<std::ptrdiff_t>(reached[k] * n), n, sig.begin() + static_cast<std::ptrdiff_t>(k * n));
    }
    if (!reached.empty()) model.denoise_rows(xt, reached.size() * n, sig, dm);
    r.evaluations = reached.size() * n;
    std::size_t next = 0;
    for (std::size_t b = 0; b < o.bands; ++b) {
        PreflightBand band = w.bands[b];
        if (next >= reached.size() || reached[next] != b) {
            band.reached = false;
            band.bad = true;
            r.bad_bands += 1;
            r.bands.push_back(band);
            continue;
        }
        const double* out = dm.data() + next * n * d;
        const double* x0 = w.x0.data() + b * n * d;
        ++next;
        double em = 0.0;
        band.per_draw.assign(n, 0.0);
        for (std::size_t k = 0; k < n * d; ++k) {
            const double e = (out[k] - x0[k]) * (out[k] - x0[k]);
            band.per_draw[k / d] += e / static_cast<double>(d);
            em += e;
        }
        for (double& v : band.per_draw)
            if (!std::isfinite(v)) v = 1e300;
        band.model = std::isfinite(em) ? em / static_cast<double>(n * d) : 1e300;
        band.bad = band.model > o.worse_factor * std::min(band.identity, band.mean);
        r.bad_bands += band.bad;
        r.bands.push_back(band);
    }
    return r;
}

PreflightReport preflight(const Data& data, const Denoiser& model, const PreflightOptions& o, double reach_lo,
                          double reach_hi) {
    return preflight(make_preflight_draws(data, o), model, reach_lo, reach_hi);
}

PairedComparison compare_readings(const PreflightReport& a, const PreflightReport& b) {
    PairedComparison c;
    double sum = 0.0, sum2 = 0.0, base = 0.0;
    std::size_t m = 0;
    for (std::size_t k = 0; k < std::min(a.bands.size(), b.bands.size()); ++k) {
        const auto &x = a.bands[k], &y = b.bands[k];
        if (!x.reached || !y.reached || x.per_draw.size() != y.per_draw.size()) continue;
        ++c.bands;
        const double trivial = std::max(std::min(y.identity, y.mean), 1e-300);
        for (std::size_t i = 0; i < x.per_draw.size(); ++i) {
            const double diff = std::clamp((x.per_draw[i] - y.per_draw[i]) / trivial, -1e150, 1e150);
            sum += diff;
            sum2 += diff * diff;
            base += std::min(y.per_draw[i] / trivial, 1e150);
            ++m;
        }
    }
    if (m < 2) return c;
    const double mm = static_cast<double>(m);
    c.excess = sum / mm;
    c.se = std::sqrt(std::max(0.0, (sum2 - sum * sum / mm) / (mm - 1.0)) / mm);
    c.relative = base > 0.0 ? c.excess / (base / mm) : 0.0;
    return c;
}

Ranking rank_candidates(const Data& data, std::size_t count, const std::function<Candidate(std::size_t)>& make,
                        const PreflightOptions& o, const RankingOptions& ro, std::size_t always) {
    Ranking out;
    // The draws of each stage, made once (the data's own denoiser too): every candidate is scored on them.
    PreflightOptions screen_options = o, final_options = o;
    screen_options.draws = ro.screen_draws;
    final_options.draws = ro.final_draws;
    const PreflightDraws screen_draws = make_preflight_draws(data, screen_options);
    std::optional<PreflightDraws> final_draws;
    // One candidate on a stage's draws: its report, or nothing when the reading cannot be made.
    auto score = [&](std::size_t k, const PreflightDraws& w) -> std::optional<RankedCandidate> {
        const PreflightOptions& ok = w.options;
        try {
            auto c = make(k);
            if (!c.denoiser) return std::nullopt;
            auto rep = preflight(w, *c.denoiser, c.sigma_min * (1.0 - 1e-9), c.sigma_max * (1.0 + 1e-9));
            out.evaluations += rep.evaluations;
            const double s = rep.score();
            return RankedCandidate{k, s, std::move(rep), true};
        } catch (const InputError&) {
            return std::nullopt;  // a convention that cannot be applied to this model or data
        } catch (const std::bad_alloc&) {
            throw;
        } catch (const Cancelled&) {
            throw;  // Ctrl-C from an embedding program: the whole ranking stops, not this reading
        } catch (const NumericalError&) {
            // The reading breaks down (non-finite outputs): ranked last, every band at the worst.
            PreflightReport rep;
            for (std::size_t b = 0; b < ok.bands; ++b) {
                PreflightBand band;
                band.model = 1e300;
                band.identity = band.mean = 1.0;
                band.bad = true;
                rep.bands.push_back(band);
            }
            rep.bad_bands = ok.bands;
            return RankedCandidate{k, std::numeric_limits<double>::infinity(), std::move(rep), true};
        } catch (const std::exception&) {
            // The model's own code refused these inputs (a Python callable raising on a negative "sigma" that
            // another reading feeds it): not a reading of this model. An interrupt is not lost: it stays
            // pending and the next model call raises it again.
            return std::nullopt;
        }
    };
    auto key = [](double v) { return std::isfinite(v) ? std::round(v * 1e4) : 1e300; };
    auto best_first = [&](std::vector<RankedCandidate>& v) {
        std::stable_sort(v.begin(), v.end(), [&](const auto& a, const auto& b) { return key(a.score) < key(b.score); });
    };
    std::vector<RankedCandidate> screened;
    for (std::size_t k = 0; k < count; ++k)
        if (auto c = score(k, screen_draws)) screened.push_back(std::move(*c));
    best_first(screened);
    std::vector<RankedCandidate> finals, rest;
    std::size_t top = 0, neighbours = 0;
    for (auto& c : screened) {
        const bool is_top = top < ro.finalists;
        const bool is_neighbour = ro.neighbour && neighbours < ro.neighbour_finalists && ro.neighbour(c.index);
        const bool finalist = is_top || is_neighbour || c.index == always;
        top += is_top && std::isfinite(c.score);
        neighbours += is_neighbour && std::isfinite(c.score);
        if (finalist && std::isfinite(c.score)) {
            if (!final_draws) final_draws = make_preflight_draws(data, final_options);
            if (auto f = score(c.index, *final_draws)) finals.push_back(std::move(*f));
        } else {
            c.final = false;
            rest.push_back(std::move(c));
        }
    }
    // Finalists in candidate order before sorting, so the earlier candidate wins a tie.
    std::sort(finals.begin(), finals.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    best_first(finals);
    out.candidates = std::move(finals);
    for (auto& c : rest) out.candidates.push_back(std::move(c));
    return out;
}

}  // namespace ayslab
