// bench: throughput of the suite's heavy work, and the machine's GEMM rate as the roofline. Euler
// sampling over 20 EDM rho=7 steps with the exact mixture denoiser (ring of 8 in d = 2; K = 64 in
// d = 64), the ideal denoiser on Fashion-MNIST, KLUB Monte Carlo samples per second; each at every
// thread count, with the scaling ratio. Timings vary run to run: this measures, it checks nothing.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ayslab/streams.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/kernels/roofline.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/training/train.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

template <class F>
double seconds_of(F f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Seconds per run of f, repeated until at least min_seconds have passed (short runs are noise).
template <class F>
double seconds_per_run(F f, double min_seconds) {
    std::size_t runs = 0;
    double total = 0.0;
    while (total < min_seconds || runs == 0) {
        total += seconds_of(f);
        ++runs;
    }
    return total / static_cast<double>(runs);
}

GaussianMixture mixture64() {
    std::vector<double> means(64 * 64);
    fill_normal_flat(5, streams::bench_mixture_means, 0, 0, means);
    return GaussianMixture(std::vector<double>(64, 1.0), means, std::vector<double>(64, 0.1), 64);
}

Result run(const Config& cfg, const RunContext&) {
    Result r;
    const auto threads = cfg.integers("threads");
    const auto steps = static_cast<std::size_t>(cfg.integer("steps"));
    const Schedule sched = karras(steps, 0.002, 80.0);
    const double min_seconds = cfg.number("min_seconds");
    const auto euler = make_solver("euler");
    const std::size_t fm_particles = static_cast<std::size_t>(cfg.integer("fashion_mnist_particles"));
    DatasetOptions fm_options;
    fm_options.subset = static_cast<std::size_t>(cfg.integer("fashion_mnist_subset"));
    fm_options.held_out = 1;
    for (const auto& precision_text : cfg.strings("precisions")) {
        const Precision precision = parse_precision(precision_text);
        const std::string& pn = precision_text;
        // gemm_k > 0: the denoiser is two GEMMs of 512 (chunk) x gemm_k x d per step, 4 K d flops per
        // particle-step; its rate is also reported against that GEMM shape's roofline.
        auto sampling = [&](const std::string& label, const Data& data,
                            const std::vector<std::int64_t>& sizes, std::size_t gemm_k) {
            for (const auto n64 : sizes) {
                const auto n = static_cast<std::size_t>(n64);
                std::vector<double> x(n * data.dim()), start(n * data.dim());
                sample_marginal(data, 80.0, start, n, 1, 1);
                double base = 0.0;
                for (const auto t64 : threads) {
                    const auto t = static_cast<std::size_t>(t64);
                    // Every repetition starts from the same draw (the copy is a memcpy: noise next to a run).
                    const double s = seconds_per_run(
                        [&] {
                            std::copy(start.begin(), start.end(), x.begin());
                            sample(data.denoiser(), *euler, sched, x, n, {1, t, 512});
                        },
                        min_seconds);
                    const double rate = static_cast<double>(n * steps) / s;
                    if (base == 0.0) base = rate;
                    auto& entry = r.values["sampling"][pn][label][std::to_string(n)][std::to_string(t)];
                    entry = {{"seconds", s}, {"particle_steps_per_s", rate}};
                    std::string roof_text;
                    if (gemm_k > 0) {
                        const double d = static_cast<double>(data.dim()), k = static_cast<double>(gemm_k);
                        const double gflops = rate * 4.0 * k * d / 1e9;
                        const double roof =
                            gemm_gflops(512, gemm_k, data.dim(), t, cfg.number("gemm_seconds"), precision);
                        entry["gflops"] = gflops;
                        entry["gemm_roofline_gflops"] = roof;
                        entry["fraction_of_roofline"] = gflops / roof;
                        roof_text = fmt::format(", {:.1f} GFLOP/s = {:.0f}% of the 512x{}x{} GEMM roofline",
                                                gflops, 100 * gflops / roof, gemm_k, data.dim());
                    }
                    r.line(
                        fmt::format("Euler sampling, {} {:<22} N = {:>6}, {} thread(s): {:.3g} "
                                    "particle-steps/s (x{:.2f}){}",
                                    pn, label, n, t, rate, rate / base, roof_text));
                }
            }
        };
        DatasetOptions ring_options;
        ring_options.precision = precision;
        const auto ring = make_dataset("ring8", ring_options);
        sampling("ring of 8 (d=2, K=8)", *ring.data, cfg.integers("ring_particles"),
                 0);  // exp-bound, no GEMM
        auto m64 = mixture64();
        m64.set_precision(precision);
        sampling("mixture d=64, K=64", m64, cfg.integers("mixture64_particles"), 64);

        // The ideal denoiser on Fashion-MNIST and the GEMM roofline of the same shape and precision.
        fm_options.precision = precision;
        const auto fm = make_dataset("fashion-mnist", fm_options);
        const std::size_t p = fm_particles, d = 784;
        std::vector<double> x(p * d), start(p * d);
        sample_marginal(*fm.data, 1.0, start, p, 2, 1);
        const double flops =
            4.0 * static_cast<double>(p) * static_cast<double>(fm_options.subset) * d;  // 2 GEMMs
        for (const auto t64 : threads) {
            const auto t = static_cast<std::size_t>(t64);
            const double s = seconds_per_run(
                [&] {
                    std::copy(start.begin(), start.end(), x.begin());
                    sample(fm.data->denoiser(), *euler, Schedule({1.0, 0.5}), x, p, {2, t, 64});
                },
                min_seconds);
            const double roof = gemm_gflops(64, 1024, d, t, cfg.number("gemm_seconds"), precision);
            const double gflops = flops / s / 1e9;
            r.values["fashion_mnist"][pn][std::to_string(t)] = {{"seconds_per_call", s},
                                                                {"gflops", gflops},
                                                                {"gemm_roofline_gflops", roof},
                                                                {"fraction_of_roofline", gflops / roof}};
            r.line(
                fmt::format("ideal denoiser, {} Fashion-MNIST {} images x {} particles, {} thread(s): {:.3f} "
                            "s/call, {:.1f} GFLOP/s = {:.0f}% of the GEMM roofline ({:.1f} GFLOP/s, same "
                            "shape, same BLAS)",
                            pn, fm_options.subset, p, t, s, gflops, 100 * gflops / roof, roof));
        }
        // KLUB Monte Carlo samples per second (ring of 8, one interval).
        for (const auto t64 : threads) {
            const auto t = static_cast<std::size_t>(t64);
            const KlubMonteCarlo mc{static_cast<std::size_t>(cfg.integer("klub_samples")), 3, 0.0, t};
            const double s =
                seconds_per_run([&] { klub_interval_mc(*ring.data, ring.data->denoiser(), 0.1, 1.0, 0, mc); }, min_seconds);
            const double rate = static_cast<double>(mc.samples) / s;
            r.values["klub_mc"][pn][std::to_string(t)] = {{"samples_per_s", rate}};
            r.line(
                fmt::format("KLUB Monte Carlo, {} ring of 8, {} thread(s): {:.3g} samples/s", pn, t, rate));
        }
    }
    // Training steps per second (LibTorch, float32): the MLP of `run-experiment train` (128 x 3, EDM
    // preconditioning and loss) on minibatches of 512 from the ring of 8, Adam, clipping and EMA; the
    // same step as bench/torch_train.py runs in Python PyTorch.
    const auto train_steps = static_cast<std::size_t>(cfg.integer("training_steps"));
    if (!torch_available()) {
        r.line("training: skipped (this build has no LibTorch)");
    } else if (train_steps > 0) {
        const auto ring = make_dataset("ring8", DatasetOptions{});
        MlpOptions mo;
        mo.dim = 2;
        const auto net = Network::mlp(mo);
        for (const auto t64 : threads) {
            TrainOptions to;
            to.steps = train_steps;
            to.batch = 512;
            to.record_every = train_steps;
            to.checkpoint_every = 0;
            to.threads = static_cast<std::size_t>(t64);
            const double s = seconds_per_run([&] { train_network(net, *ring.data, to); }, min_seconds);
            const double rate = static_cast<double>(train_steps) / s;
            r.values["training"][std::to_string(t64)] = {{"steps_per_s", rate}, {"batch", 512}};
            r.line(fmt::format("training (MLP 128x3, batch 512, EDM loss, Adam + EMA), {} thread(s): {:.1f} steps/s",
                               t64, rate));
        }
        // Sampling with a network denoiser: Euler over `steps` EDM rho=7 steps, 10 000 particles, the
        // untrained MLP 128x3 (the same cost as a trained one) through NetworkDenoiser (float64 state,
        // float32 network, one call per step on all particles: the sampler's chunk for a model);
        // bench/torch_sample_model.py and bench/torchscript_sampling.py run the same loop in PyTorch.
        const std::size_t n = 10000;
        for (const auto t64 : threads) {
            const NetworkDenoiser den(net, static_cast<std::size_t>(t64));
            std::vector<double> x(2 * n);
            const double s = seconds_per_run(
                [&] {
                    fill_normal_flat(1, streams::bench_network_starts, 0, 0, x);
                    for (double& v : x) v *= 80.0;
                    sample(den, *euler, sched, x, n, {1, 1, 0});
                },
                min_seconds);
            const double rate = static_cast<double>(n * steps) / s;
            r.values["network_sampling"][std::to_string(t64)] = {{"particle_steps_per_s", rate}, {"particles", n}};
            r.line(fmt::format("sampling with the MLP 128x3 (Euler, {} steps, {} particles), {} thread(s): {:.3g} "
                               "particle-steps/s",
                               steps, n, t64, rate));
        }
    }
    return r;
}

}  // namespace

Experiment bench_experiment() {
    return {
        "bench",
        "throughput of sampling, the ideal denoiser, KLUB Monte Carlo (against the GEMM roofline) and training",
        {
            seed_key(),
            {"threads", KeyType::integer_list, "thread counts to time", 1, 1024},
            {"ring_particles", KeyType::integer_list, "particles for the ring of 8", 1, 1e8},
            {"mixture64_particles", KeyType::integer_list, "particles for the d = 64 mixture", 1, 1e8},
            shared_key("steps"),  // Euler steps
            {"fashion_mnist_subset", KeyType::integer, "Fashion-MNIST training images", 1, 60000},
            {"fashion_mnist_particles", KeyType::integer, "particles per ideal-denoiser call", 1, 1e6},
            {"klub_samples", KeyType::integer, "KLUB Monte Carlo samples", 2, 1e8},
            {"gemm_seconds", KeyType::number, "time per GEMM roofline measurement", 0.01, 60},
            {"precisions", KeyType::string_list, "denoiser arithmetic to time", {}, {}, precision_names()},
            {"min_seconds", KeyType::number, "each timing repeats its run for at least this long", 0, 60},
            {"training_steps", KeyType::integer, "training steps per timed run (0: no training case)", 0, 1e8},
        },
        run};
}

}  // namespace ayslab::app
