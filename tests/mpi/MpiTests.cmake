# Multi-rank tests, launched by mpirun from ctest (1 to 5 ranks, oversubscribed on small
# machines). Open MPI refuses to run as root unless told it may; CI runs as root.
add_executable(fb_mpi_tests mpi/collectives_test.cpp mpi/ipc_process_test.cpp mpi/mpi_test_main.cpp)
target_link_libraries(fb_mpi_tests PRIVATE fb_harness GTest::gtest)
fb_configure_target(fb_mpi_tests)

set(FB_MPI_ENV "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
foreach(n 1 2 3 4 5)
  add_test(NAME mpi.collectives.n${n}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} --oversubscribe
                   ${MPIEXEC_PREFLAGS} $<TARGET_FILE:fb_mpi_tests> ${MPIEXEC_POSTFLAGS})
  set_tests_properties(mpi.collectives.n${n} PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                       TIMEOUT 600 PROCESSORS ${n})
endforeach()

# The real binary end to end under mpirun, its HDF5 file checked with h5py.
find_program(FB_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME mpi.fabricbench_h5py
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/run_and_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_results.py)
set_tests_properties(mpi.fabricbench_h5py PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 600 PROCESSORS 2)

# --check catches an injected wrong element and the run exits with code 3.
add_test(NAME mpi.check_catches_corruption
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/corrupt_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE})
set_tests_properties(mpi.check_catches_corruption PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 300 PROCESSORS 2)

# Every collective x algorithm x transport through the harness, checked, on 3 ranks.
add_test(NAME mpi.all_collectives_checked
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/all_collectives_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_results.py)
set_tests_properties(mpi.all_collectives_checked PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 900 PROCESSORS 2)

# The latency-optimal algorithms on 6 and 7 ranks (folded and partial steps), with --check.
add_test(NAME mpi.latency_algorithms_checked
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/latency_algorithms_check.sh
                 $<TARGET_FILE:fabricbench> ${MPIEXEC_EXECUTABLE})
set_tests_properties(mpi.latency_algorithms_checked PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 900 PROCESSORS 2)

# Point to point: every test over UCX and MPI on 2 and 4 ranks, and a planted slow link.
add_test(NAME mpi.p2p_all_tests
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/p2p_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_results.py)
set_tests_properties(mpi.p2p_all_tests PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 600 PROCESSORS 2)
add_test(NAME mpi.p2p_slow_link_flagged
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/p2p_slow_link.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE})
set_tests_properties(mpi.p2p_slow_link_flagged PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 300 PROCESSORS 2)

# Ranks launched with different options are refused before anything is measured.
add_test(NAME mpi.mismatched_launch_refused
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/mismatch_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE})
set_tests_properties(mpi.mismatched_launch_refused PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 120 PROCESSORS 2)

# SIGUSR1 stops the sweep at a point boundary, records it, exits 5.
add_test(NAME mpi.signal_stops_at_point_boundary
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/signal_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.signal_stops_at_point_boundary PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 120 PROCESSORS 2)

# An interrupted sweep resumed with --resume ends with exactly the points of a full run.
add_test(NAME mpi.resume_measures_only_missing_points
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/resume_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_results.py)
set_tests_properties(mpi.resume_measures_only_missing_points PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 300 PROCESSORS 2)

# --memory both: cuda series measured and validated on a GPU, recorded as skipped without one.
add_test(NAME mpi.cuda_series_measured_or_skipped
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/gpu_series_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.cuda_series_measured_or_skipped PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS "mpi;gpu" TIMEOUT 120 PROCESSORS 2)

# --resume with settings that change the numbers is refused at once, the file untouched.
add_test(NAME mpi.resume_refuses_mismatch
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/resume_refused_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE})
set_tests_properties(mpi.resume_refuses_mismatch PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 600 PROCESSORS 2)

# SIGTERM through mpirun during long points: every rank stops within one iteration.
add_test(NAME mpi.sigterm_through_mpirun
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/sigterm_mpirun_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.sigterm_through_mpirun PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 180 PROCESSORS 2)

# A transport that cannot start: its series skipped with the reason, the rest measured.
add_test(NAME mpi.broken_transport_skipped
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/broken_transport_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.broken_transport_skipped PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 300 PROCESSORS 2)

# A plan larger than the machine's memory is refused up front with the figures.
add_test(NAME mpi.impossible_size_refused
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/memory_refused_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE})
set_tests_properties(mpi.impossible_size_refused PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 120 PROCESSORS 2)

# Results files: a file another run writes, a file that is not ours and /dev/null are refused
# (exit 2, one line, untouched); --overwrite replaces only a results file.
add_test(NAME mpi.results_file_never_destroyed
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/results_file_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.results_file_never_destroyed PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 300 PROCESSORS 2)
# A disk that fills up mid-run ends every rank with exit 7; the file reads, --resume finishes it
# (a tmpfs: root only, skipped otherwise).
foreach(mode run p2p)
  add_test(NAME mpi.full_disk_${mode}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/full_disk_check.sh $<TARGET_FILE:fabricbench>
                   ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON} ${mode})
  set_tests_properties(mpi.full_disk_${mode} PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                       TIMEOUT 600 PROCESSORS 2 SKIP_REGULAR_EXPRESSION "SKIP: ")
endforeach()

# Forged peer-probe messages (no job secret) sent to every port the ranks listen on do not
# stop a run; each rank reports how many it ignored.
add_test(NAME mpi.forged_probe_ignored
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/forged_probe_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.forged_probe_ignored PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 600 PROCESSORS 2)

# Pipeline parameters follow the UCX transport's path (shared memory, TCP on loopback) and each
# series records how they were chosen; explicit options and UCX_RNDV_THRESH are kept.
add_test(NAME mpi.pipeline_follows_path
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/pipeline_origin_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.pipeline_follows_path PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 300 PROCESSORS 2)

# --timing back-to-back of MPI_Allreduce within 10% of a plain back-to-back MPI loop, 8 B and
# 16 MiB, medians of alternating repetitions.
add_executable(fb_back_to_back_reference mpi/back_to_back_reference.cpp)
target_link_libraries(fb_back_to_back_reference PRIVATE MPI::MPI_C)
target_compile_definitions(fb_back_to_back_reference PRIVATE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
fb_configure_target(fb_back_to_back_reference)
add_test(NAME mpi.back_to_back_matches_plain_loop
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/back_to_back_check.sh $<TARGET_FILE:fabricbench>
                 $<TARGET_FILE:fb_back_to_back_reference> ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.back_to_back_matches_plain_loop PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS mpi TIMEOUT 900 PROCESSORS 2 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)

# fabricbench compare on real files: a file against itself, --fail-if-slower, refusals.
add_test(NAME mpi.compare_files
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/compare_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON})
set_tests_properties(mpi.compare_files PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 300 PROCESSORS 2)

# qualify under mpirun: every kind of rule, inconclusive checks measured again within the
# profile's budget and pooled (exit 0), or reported INCONCLUSIVE without one (exit 9).
add_test(NAME mpi.qualify_remeasure
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi/qualify_check.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_results.py)
set_tests_properties(mpi.qualify_remeasure PROPERTIES ENVIRONMENT "${FB_MPI_ENV}" LABELS mpi
                     TIMEOUT 300 PROCESSORS 2)

# The Python package (python/fabricbench) and `fabricbench report` over real 2-rank files:
# pytest checks the frames against h5py, every schema version, bad files, and the report in
# headless Chromium (screenshots kept in Testing/python-report).
add_test(NAME python.package_and_report
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/python/run_pytest.sh $<TARGET_FILE:fabricbench>
                 ${MPIEXEC_EXECUTABLE} ${FB_SYSTEM_PYTHON}
                 ${CMAKE_BINARY_DIR}/Testing/python-report)
set_tests_properties(python.package_and_report PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                     LABELS "python;mpi" TIMEOUT 900 PROCESSORS 2)
