// The ideal denoiser of a point set cut into S shards (contiguous rows), the shards spread over the
// MPI ranks as contiguous blocks (cluster.hpp): each rank keeps and evaluates only its own shards.
// Per shard s the pass gives D_s and L_s = log sum_{j in s} exp(-|x - y_j|^2 / 2 sigma^2); every
// rank receives all shards' results and merges them in shard order (MATH §2, the log-sum-exp split
// over shards):  L = log sum_s exp(L_s),  D = sum_s exp(L_s - L) D_s.
// S is chosen by the user, not by the rank count, so a run gives the same bits on any number of ranks
// (one process holds all S shards). The price: every call is collective — all ranks make the same
// calls in the same order (collective() is true, and the library's loops then run their chunks in order
// on the calling thread) — and each call moves S x n x (d + 1) numbers between ranks. Worth it when the
// data set does not fit one machine; otherwise split only the particles (plain EmpiricalData).
#pragma once
#include <memory>
#include <vector>

#include "ayslab/cluster.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/data.hpp"
#include "ayslab/precision.hpp"

namespace ayslab {

// Data and its own (collective) exact denoiser.
class ShardedEmpiricalData final : public Data, public Denoiser, public NearestPoint {
  public:
    // points: N x dim (every rank passes the same set and keeps only its shards); 1 <= shards <= N;
    // threads: for the rank's own shards and row blocks.
    ShardedEmpiricalData(const std::vector<double>& points, std::size_t dim, std::size_t shards,
                         std::size_t threads);

    DenoiserTraits traits() const override { return {.collective = true}; }
    std::size_t dim() const override { return dim_; }
    const Denoiser& denoiser() const override { return *this; }
    const NearestPoint* nearest_points() const override { return this; }
    std::size_t size() const { return first_row_.back(); }
    std::size_t shards() const { return first_row_.size() - 1; }
    void set_precision(Precision p);

    // D over every rank's rows (a collective call), at one sigma or a sigma per row; no labels.
    void evaluate(const Batch& batch, std::span<double> out) const override;
    double log_density(std::span<const double> x, double sigma) const override { return log_density_of_row(x, sigma); }
    void log_density_rows(std::span<const double> x, std::size_t n, double sigma,
                          std::span<double> out) const override;
    double data_variance() const override { return variance_; }
    // Draws data points uniformly, exactly as EmpiricalData::sample does (same rows for the same
    // seed); each row comes from the rank holding it.
    void sample(std::size_t n, std::uint64_t seed, std::uint64_t first, std::span<double> out) const override;
    void nearest_squared_distance(std::span<const double> x, std::size_t n,
                                  std::span<double> out) const override;

  private:
    // D (if out) and L = log sum over all data for n rows with per-row sigmas (sigma_stride 0: one).
    void evaluate_rows(const double* x, std::size_t n, const double* sigmas, std::size_t sigma_stride, double* out,
                  double* log_sum, bool full_precision) const;

    std::size_t dim_, threads_;
    std::vector<std::size_t> first_row_;                 // S + 1 global row offsets
    cluster::Block mine_;                                // this rank's shards
    std::vector<std::unique_ptr<EmpiricalData>> local_;  // shard mine_.first + i
    double variance_ = 0.0;
};

}  // namespace ayslab
