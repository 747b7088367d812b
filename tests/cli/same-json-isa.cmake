# Runs one experiment with the mixture kernels capped at each instruction set (AYSLAB_ISA=baseline,
# avx2, avx512: a CPU without a level runs the best it has) and at the default; the result documents
# (apart from "run": wall times) and the end points (.npy) must be identical bit for bit. Then a bad
# AYSLAB_ISA is one line and exit 2, with no result file.
#   ARGS  the experiment and its --set arguments (';'-separated); it writes its points to output=
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
set(_ref "")
foreach(_isa default baseline avx2 avx512)
  if(_isa STREQUAL "default")
    set(_env ${CMAKE_COMMAND} -E env --unset=AYSLAB_ISA)
  else()
    set(_env ${CMAKE_COMMAND} -E env AYSLAB_ISA=${_isa})
  endif()
  # Each run in its own folder with relative paths, so the documents name the same files.
  file(MAKE_DIRECTORY ${DIR}/${_isa})
  execute_process(COMMAND ${_env} ${EXE} ${ARGS} --set output=points.npy --threads 2 --quiet --out result.json
                  WORKING_DIRECTORY ${DIR}/${_isa} RESULT_VARIABLE _rc ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "AYSLAB_ISA=${_isa}: exit ${_rc}: ${_err}")
  endif()
  file(READ ${DIR}/${_isa}/result.json _doc)
  string(JSON _doc REMOVE "${_doc}" run)
  file(SHA256 ${DIR}/${_isa}/points.npy _points)
  if(_isa STREQUAL "default")
    set(_ref_doc "${_doc}")
    set(_ref_points ${_points})
  elseif(NOT _doc STREQUAL _ref_doc OR NOT _points STREQUAL _ref_points)
    message(FATAL_ERROR "AYSLAB_ISA=${_isa} gave another result than the default copy")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E env AYSLAB_ISA=sse9 ${EXE} ${ARGS} --set output=${DIR}/bad.npy
                        --quiet --out ${DIR}/bad.json
                RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 2 OR NOT _err MATCHES "AYSLAB_ISA=sse9: not one of baseline, avx2, avx512" OR EXISTS ${DIR}/bad.json)
  message(FATAL_ERROR "a bad AYSLAB_ISA: exit ${_rc}, '${_err}'")
endif()
message(STATUS "baseline, AVX2 and AVX-512 kernels: the same result, bit for bit")
