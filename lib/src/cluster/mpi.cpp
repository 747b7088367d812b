// cluster.hpp on MPI (built when AYSLAB_MPI is on). MPI is only initialised when the process was
// started by mpirun/mpiexec, so a plain run of an MPI build stays a single process with no MPI state.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "ayslab/cluster.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"

namespace ayslab::cluster {

namespace {
bool active = false;
std::size_t my_rank = 0, world = 1, local = 1;

bool launched_by_mpirun() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
        if (std::getenv(var) != nullptr) return true;
    return false;
}

void check(int code, const char* what) {
    if (code != MPI_SUCCESS) throw std::runtime_error(std::string("MPI call failed: ") + what);
}

// Error kinds carried from the failing rank to the others.
enum Kind : int { none = 0, input = 1, numerical = 2, other = 3 };
}  // namespace

Session::Session(int& argc, char**& argv) {
    if (!launched_by_mpirun()) return;
    int provided = 0;
    check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    active = true;
    int r = 0, p = 1, l = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, r, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &l);
    MPI_Comm_free(&node);
    my_rank = static_cast<std::size_t>(r);
    world = static_cast<std::size_t>(p);
    local = static_cast<std::size_t>(l);
}

Session::~Session() {
    if (active) MPI_Finalize();
    active = false;
}

bool built_with_mpi() { return true; }
std::size_t rank() { return my_rank; }
std::size_t ranks() { return world; }
std::size_t ranks_on_this_node() { return local; }

void on_every_rank(const std::function<void()>& body) {
    if (world == 1) {
        body();
        return;
    }
    std::exception_ptr error;
    int kind = none;
    std::string message;
    try {
        body();
    } catch (const InputError& e) {
        error = std::current_exception(), kind = input, message = e.what();
    } catch (const NumericalError& e) {
        error = std::current_exception(), kind = numerical, message = e.what();
    } catch (const std::exception& e) {
        error = std::current_exception(), kind = other, message = e.what();
    } catch (...) {
        error = std::current_exception(), kind = other, message = "unknown error";
    }
    // Agree on the lowest failing rank (world = nobody failed), then send its error to everyone.
    int mine = kind != none ? static_cast<int>(my_rank) : static_cast<int>(world), failing = 0;
    check(MPI_Allreduce(&mine, &failing, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
    if (failing == static_cast<int>(world)) return;
    int header[2] = {kind, static_cast<int>(message.size())};
    check(MPI_Bcast(header, 2, MPI_INT, failing, MPI_COMM_WORLD), "MPI_Bcast");
    message.resize(static_cast<std::size_t>(header[1]));
    check(MPI_Bcast(message.data(), header[1], MPI_CHAR, failing, MPI_COMM_WORLD), "MPI_Bcast");
    if (error && failing == static_cast<int>(my_rank)) std::rethrow_exception(error);
    if (failing != 0) message += " (on rank " + std::to_string(failing) + ")";
    if (header[0] == input) throw InputError(message);
    if (header[0] == numerical) throw NumericalError(message);
    throw std::runtime_error(message);
}

std::string from_rank0(const std::string& value) {
    if (world == 1) return value;
    int size = static_cast<int>(value.size());
    check(MPI_Bcast(&size, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
    std::string out = value;
    out.resize(static_cast<std::size_t>(size));
    check(MPI_Bcast(out.data(), size, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return out;
}

void for_my_chunks(std::size_t chunks, std::size_t threads, const std::function<void(std::size_t)>& body) {
    if (world == 1) {
        parallel_for(chunks, threads, body);
        return;
    }
    const Block b = my_block(chunks);
    on_every_rank([&] { parallel_for(b.last - b.first, threads, [&](std::size_t c) { body(b.first + c); }); });
}

void share_bytes(std::span<std::byte> data, std::size_t chunks, std::size_t chunk_bytes) {
    if (world == 1) return;
    std::vector<std::size_t> offset(world + 1);
    for (std::size_t r = 0; r < world; ++r) {
        const Block b = block_of(chunks, r, world);
        offset[r] = std::min(b.first * chunk_bytes, data.size());
        offset[r + 1] = std::min(b.last * chunk_bytes, data.size());
    }
    if (data.size() <= static_cast<std::size_t>(INT_MAX)) {
        std::vector<int> counts(world), displs(world);
        for (std::size_t r = 0; r < world; ++r) {
            counts[r] = static_cast<int>(offset[r + 1] - offset[r]);
            displs[r] = static_cast<int>(offset[r]);
        }
        check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data.data(), counts.data(), displs.data(),
                             MPI_BYTE, MPI_COMM_WORLD),
              "MPI_Allgatherv");
        return;
    }
    // More than 2 GiB: each rank broadcasts its block in pieces that fit an int count.
    constexpr std::size_t piece = std::size_t{1} << 30;
    for (std::size_t r = 0; r < world; ++r)
        for (std::size_t at = offset[r]; at < offset[r + 1]; at += piece) {
            const int n = static_cast<int>(std::min(piece, offset[r + 1] - at));
            check(MPI_Bcast(data.data() + at, n, MPI_BYTE, static_cast<int>(r), MPI_COMM_WORLD), "MPI_Bcast");
        }
}

void share_rows(std::span<double> data, std::size_t width, std::span<const std::uint32_t> owner) {
    if (world == 1) return;
    // Pack this rank's rows in order, gather every rank's pack, unpack by owner in row order.
    std::vector<std::size_t> rows(world, 0);
    for (auto r : owner) ++rows[r];
    std::vector<double> mine, all(owner.size() * width);
    mine.reserve(rows[my_rank] * width);
    for (std::size_t i = 0; i < owner.size(); ++i)
        if (owner[i] == my_rank)
            mine.insert(mine.end(), data.begin() + i * width, data.begin() + (i + 1) * width);
    if (all.size() > static_cast<std::size_t>(INT_MAX))
        throw InputError("share_rows: more than 2^31 values in one exchange");
    std::vector<int> counts(world), displs(world);
    for (std::size_t r = 0, at = 0; r < world; ++r) {
        counts[r] = static_cast<int>(rows[r] * width);
        displs[r] = static_cast<int>(at);
        at += rows[r] * width;
    }
    check(MPI_Allgatherv(mine.data(), counts[my_rank], MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                         MPI_DOUBLE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<std::size_t> next(world);
    for (std::size_t r = 0; r < world; ++r) next[r] = static_cast<std::size_t>(displs[r]);
    for (std::size_t i = 0; i < owner.size(); ++i) {
        std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(next[owner[i]]), width,
                    data.begin() + i * width);
        next[owner[i]] += width;
    }
}

}  // namespace ayslab::cluster
