# Runs an AYS experiment to completion (A); runs it again, interrupted by SIGINT once its first
# checkpoint exists (so the test does not depend on the machine's speed), then with --resume (B); the
# optimised schedules of A and B must be identical.
#   EXP        experiment (ays, ays-fashion-mnist)
#   ARGS       its --set arguments, ';'-separated
#   CKPT       checkpoint suffix after the result path ("checkpoint", "checkpoint.fashion-mnist")
#   SCHEDULE   JSON path of the schedule in the result, ';'-separated ("results;schedule;sigmas")
#   OTHER      a --set that changes the data ("data=moons"), and MISMATCH the message it must give;
#              empty when the experiment has one data set
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
set(_args ${EXP} ${ARGS} --threads 1 --quiet)
string(JOIN " " _argline ${_args})
set(_ckpt ${DIR}/b.json.${CKPT})
execute_process(COMMAND ${EXE} ${_args} --out ${DIR}/a.json RESULT_VARIABLE _a)
# In the background; wait (at most 120 s) for the checkpoint, then interrupt.
execute_process(COMMAND bash -c "'${EXE}' ${_argline} --out '${DIR}/b.json' & pid=$!; \
for i in $(seq 1200); do [ -e '${_ckpt}' ] && break; sleep 0.1; done; \
kill -INT $pid; wait $pid"
                RESULT_VARIABLE _i)
if(NOT _i EQUAL 130 AND NOT _i EQUAL 0)
  message(FATAL_ERROR "the interrupted run exited ${_i} (expected 130, or 0 had it finished first)")
endif()
if(_i EQUAL 130 AND NOT EXISTS ${_ckpt})
  message(FATAL_ERROR "the interrupted run left no checkpoint")
endif()
if(_i EQUAL 130 AND OTHER)
  # Resuming with other data is refused, naming the key, and the checkpoint is kept.
  execute_process(COMMAND ${EXE} ${_args} --set ${OTHER} --out ${DIR}/b.json --resume
                  RESULT_VARIABLE _m ERROR_VARIABLE _merr)
  if(NOT _m EQUAL 2 OR NOT _merr MATCHES "${MISMATCH}" OR NOT EXISTS ${_ckpt})
    message(FATAL_ERROR "resume with other data: exit ${_m}, '${_merr}'")
  endif()
endif()
execute_process(COMMAND ${EXE} ${_args} --out ${DIR}/b.json --resume RESULT_VARIABLE _b ERROR_VARIABLE _berr)
if(NOT _a EQUAL 0 OR NOT _b EQUAL 0)
  message(FATAL_ERROR "runs failed: ${_a} ${_b} ${_berr}")
endif()
file(READ ${DIR}/a.json _ja)
file(READ ${DIR}/b.json _jb)
string(JSON _sa GET "${_ja}" ${SCHEDULE})
string(JSON _sb GET "${_jb}" ${SCHEDULE})
if(NOT _sa STREQUAL _sb)
  message(FATAL_ERROR "resumed schedule differs:\n${_sa}\n${_sb}")
endif()
if(EXISTS ${_ckpt})
  message(FATAL_ERROR "checkpoint not removed after a complete run")
endif()
message(STATUS "interrupted (exit ${_i}) and resumed: same schedule")
