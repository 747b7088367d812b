// Every random stream and seed derivation in ayslab, by name, with what it draws. A draw is addressed
// by (seed, stream, particle, step) (rng.hpp); the core streams are rng.hpp's Stream values, the ones
// here number from Stream::user. Seed derivations give separate uses of the run's seed their own
// Philox key. The values are the ones the results were pinned with; tests/unit/rng_test.cpp checks
// that no two streams, and no two seeds derived in one run, coincide.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "ayslab/random_address.hpp"

namespace ayslab::streams {

constexpr std::uint64_t user = static_cast<std::uint64_t>(Stream::user);

// Streams (RandomAddress::stream).
constexpr std::uint64_t league_starts = user + 0;       // optimiser-league: random start schedules
constexpr std::uint64_t vp_marginal_noise = user + 7;   // vp-marginals: forward-noise draws of the chain
constexpr std::uint64_t loss_draws = user + 17;         // loss.cpp: x_0 rows, t and eps of a loss estimate
constexpr std::uint64_t network_init = user + 40;       // torch/network.cpp: initial weights
constexpr std::uint64_t training = user + 41;           // torch/train.cpp: minibatches
constexpr std::uint64_t train_bands = user + 42;        // train: per-band evaluation draws
constexpr std::uint64_t preflight_draws = user + 50;    // preflight.cpp: x_0 and eps per sigma band
constexpr std::uint64_t label_dropout = user + 43;      // torch/train.cpp: which labels become the null label
constexpr std::uint64_t feature_batches = user + 44;    // torch/features.cpp: the feature network's minibatch rows
constexpr std::uint64_t image_distortions = user + 45;  // features: noise added to test images, random splits
constexpr std::uint64_t path_klub_increments = user + 60;  // PathKlub: the Brownian paths' increments
constexpr std::uint64_t bench_mixture_means = user + 61;   // bench: the 64-component mixture's means
constexpr std::uint64_t bench_network_starts = user + 62;  // bench: the network sampling's start points

struct Named {
    std::string_view name;
    std::uint64_t value;
};
constexpr std::array<Named, 19> all_streams{{{"prior", static_cast<std::uint64_t>(Stream::prior)},
                                             {"step_noise", static_cast<std::uint64_t>(Stream::step_noise)},
                                             {"data", static_cast<std::uint64_t>(Stream::data)},
                                             {"forward_noise", static_cast<std::uint64_t>(Stream::forward_noise)},
                                             {"klub", static_cast<std::uint64_t>(Stream::klub)},
                                             {"metrics", static_cast<std::uint64_t>(Stream::metrics)},
                                             {"league_starts", league_starts},
                                             {"vp_marginal_noise", vp_marginal_noise},
                                             {"loss_draws", loss_draws},
                                             {"network_init", network_init},
                                             {"training", training},
                                             {"train_bands", train_bands},
                                             {"preflight_draws", preflight_draws},
                                             {"label_dropout", label_dropout},
                                             {"feature_batches", feature_batches},
                                             {"image_distortions", image_distortions},
                                             {"path_klub_increments", path_klub_increments},
                                             {"bench_mixture_means", bench_mixture_means},
                                             {"bench_network_starts", bench_network_starts}}};

// Row addresses: the first row of a Data::sample call, which keep draws of one seed apart (a data set
// draws row i from (seed, i): the training rows start at 0). rng_test checks they are 2^30 apart at
// least, more rows than any of these draws takes.
constexpr std::uint64_t preflight_mean_rows = 1ULL << 30;  // preflight.cpp: the data mean's 4096 draws
constexpr std::uint64_t held_out_rows = 1ULL << 40;        // datasets.cpp: the held-out draws
constexpr std::uint64_t train_band_rows = 1ULL << 50;      // train: the per-band evaluation's x_0 rows
constexpr std::array<std::uint64_t, 4> row_addresses{0, preflight_mean_rows, held_out_rows, train_band_rows};

// Seeds derived from the run's seed s.
constexpr std::uint64_t evaluation_seed(std::uint64_t s, std::uint64_t k) { return s * 1000003ULL + k; }  // k-th evaluation seed
constexpr std::uint64_t sliced_w2_projections(std::uint64_t s) { return s + 77; }   // the metric's directions
constexpr std::uint64_t watson_draws(std::uint64_t s) { return s + 31; }            // optimiser-league: Watson's DP
constexpr std::uint64_t train_band_error(std::uint64_t s) { return s + 1; }         // train: untrained-network bands
// train, conditional: class y's band draws (high bits, clear of the small offsets above).
constexpr std::uint64_t class_band_error(std::uint64_t s, std::uint64_t y) { return (s + 1) ^ ((y + 1) << 40); }
// ays: the compared KLUBs (was s + 991, which the 991st AYS sweep's seed s + 991 would have reused).
constexpr std::uint64_t ays_final_klub(std::uint64_t s) { return s ^ 0x3C3C3C3C3C3C3C3CULL; }
constexpr std::uint64_t fresh_klub(std::uint64_t s) { return s + 7919; }            // ays-toy/league: KLUB on fresh draws
constexpr std::uint64_t tweedie_draws(std::uint64_t s) { return s + 7777; }         // tweedie: data draws
constexpr std::uint64_t preflight(std::uint64_t s) { return s + 0x5EED; }           // model pre-flight
constexpr std::uint64_t league_teacher(std::uint64_t s) { return s + 104729; }      // league: fresh teacher paths
constexpr std::uint64_t klub_validation(std::uint64_t s) { return s ^ 0xA5A5A5A5A5A5A5A5ULL; }  // AYS early stop
constexpr std::uint64_t stop_proxy(std::uint64_t s) { return s ^ 0x570b000000000000ULL; }      // AYS stop proxy
constexpr std::uint64_t path_klub_seed(std::uint64_t s) { return s ^ 0x9A7B000000000000ULL; }  // ays-path's paths
// recommend: the held-out starts every candidate is judged on (evaluation seeds of this base: no
// optimiser, stop proxy or teacher draws from it).
constexpr std::uint64_t held_out_judge(std::uint64_t s) { return s ^ 0x4E1D000000000000ULL; }
// recommend's screen (study.hpp, StudyOptions::screen_seed): the one seed of starts every candidate is
// screened on, apart from the judge's (the finalists are judged on starts the screen never saw).
constexpr std::uint64_t held_out_screen(std::uint64_t s) { return s ^ 0x5C4E000000000000ULL; }
// ays-guided, Fashion-MNIST (the values its documented run used): class y's starts at seed k are
// evaluation seed 16 k + y (distinct for the 10 classes), every class's reference rows evaluation seed
// 999 (its own rows' draw address), and the in-run guidance-wrapper check a fixed probe set for every
// run seed. 16 k + y < 999 for k < 62: ays-guided allows at most 62 seeds (rng_test checks the bound).
constexpr std::uint64_t class_evaluation_seed(std::uint64_t s, std::uint64_t k, std::uint64_t y) {
    return evaluation_seed(s, 16 * k + y);
}
constexpr std::uint64_t class_reference_rows(std::uint64_t s) { return evaluation_seed(s, 999); }
// The image judge's per-class KID (evaluation.hpp): class y's subsets at evaluation seed s, apart from the
// all-class KID's (drawn at s itself).
constexpr std::uint64_t class_kid_subsets(std::uint64_t s, std::uint64_t y) { return s ^ ((y + 1) << 48); }
constexpr std::uint64_t guidance_check() { return 12345; }

}  // namespace ayslab::streams
