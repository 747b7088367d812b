# Runs one experiment as a single process and as MPI ranks (MPIRUN is the full launcher command, a
# ;-list); the two result documents must be identical apart from "run" (threads, ranks, wall time).
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
execute_process(COMMAND ${EXE} ${ARGS} --threads 2 --quiet --out ${DIR}/single.json RESULT_VARIABLE _a)
execute_process(COMMAND ${MPIRUN} ${EXE} ${ARGS} --threads 1 --quiet --out ${DIR}/ranks.json
                RESULT_VARIABLE _b OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
# Exit 1 (a check failed at these small budgets, e.g. AYS barely optimised with max_sweeps=1) is a
# result like any other here: what is tested is that both runs give the same one.
if(NOT (_a EQUAL 0 OR _a EQUAL 1) OR NOT _a EQUAL _b)
  message(FATAL_ERROR "runs failed: single exit ${_a}, mpirun exit ${_b}\n${_out}\n${_err}")
endif()
file(READ ${DIR}/single.json _single)
file(READ ${DIR}/ranks.json _ranks)
string(JSON _n GET "${_ranks}" run mpi_ranks)
if(_n LESS 2)
  message(FATAL_ERROR "the mpirun result says it ran on ${_n} rank(s): MPI did not start")
endif()
string(JSON _single REMOVE "${_single}" run)
string(JSON _ranks REMOVE "${_ranks}" run)
if(NOT _single STREQUAL _ranks)
  file(WRITE ${DIR}/single.stripped.json "${_single}")
  file(WRITE ${DIR}/ranks.stripped.json "${_ranks}")
  message(FATAL_ERROR "the ${_n}-rank result differs from the single-process one (see ${DIR}/*.stripped.json)")
endif()
message(STATUS "${_n} ranks gave the single-process result, bit for bit")
