# SIGINT to the ranks of a 2-rank run (not to mpirun): mpirun exits 130, the
# message is printed once (rank 0), and no result file is left. The ranks are found by their
# command line, which starts with the executable (mpirun's and bash's do not): mpirun receiving the
# SIGINT itself exits with its own code, 1 for Open MPI 4.1, which no rank can change.
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
string(JOIN " " _mpirun ${MPIRUN})
execute_process(COMMAND bash -c "${_mpirun} '${EXE}' vp-marginals --threads 1 --out '${DIR}/r.json' 2>'${DIR}/err' & pid=$!; \
for i in $(seq 600); do [ $(pgrep -f -- '^${EXE} vp-marginals --threads 1 --out ${DIR}/r.json' | wc -l) -ge 2 ] && break; sleep 0.1; done; sleep 1; \
pkill -INT -f -- '^${EXE} vp-marginals --threads 1 --out ${DIR}/r.json'; wait $pid"
                RESULT_VARIABLE _rc)
file(READ ${DIR}/err _err)
string(REGEX MATCHALL "run-experiment: interrupted" _lines "${_err}")
list(LENGTH _lines _n)
if(NOT _rc EQUAL 130 OR NOT _n EQUAL 1 OR EXISTS ${DIR}/r.json)
  message(FATAL_ERROR "interrupted 2-rank run: exit ${_rc} (expected 130), ${_n} messages (expected 1):\n${_err}")
endif()
file(GLOB _tmp ${DIR}/r.json.tmp*)
if(_tmp)
  message(FATAL_ERROR "temporary files left: ${_tmp}")
endif()
