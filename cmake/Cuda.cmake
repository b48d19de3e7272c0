# CUDA and NCCL: whether to build the GPU parts (gpu/, library fb_gpu).
#
#   FB_CUDA=AUTO (default)  build them when a working nvcc and NCCL (nccl.h, libnccl) are found
#   FB_CUDA=ON              the same, but a configure error naming what is missing
#   FB_CUDA=OFF             do not; fb_gpu is then the fallback that reports
#                           "built without CUDA support"
#
# FB_SANITIZE=ON forces the OFF behaviour: the CUDA runtime and AddressSanitizer do not mix
# well (ASan reserves the address ranges the driver maps; without a GPU the runtime's own
# allocations at start-up trip ASan), and the sanitizer build exists for the host code.
#
# Where things are looked for: nvcc in CMAKE_CUDA_COMPILER, $CUDACXX, the PATH,
# CUDAToolkit_ROOT/bin, $CUDA_PATH/bin, /usr/local/cuda/bin; NCCL in NCCL_ROOT ($NCCL_ROOT),
# CUDAToolkit_ROOT, /usr/local/cuda and its targets/<arch>/ trees, then the system paths.
# NCCL_INCLUDE_DIR and NCCL_LIBRARY can also be given directly.
#
# Result: FB_HAVE_CUDA (ON or OFF). With it ON, the CUDA language is enabled, CUDA::cudart
# exists and fb::nccl is an imported target. CMAKE_CUDA_ARCHITECTURES defaults to SASS for
# Ampere and Hopper plus PTX for newer GPUs ("80-real;90-real;90-virtual").

set(FB_CUDA AUTO CACHE STRING "Build the CUDA/NCCL parts: AUTO, ON or OFF")
set_property(CACHE FB_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${FB_CUDA}" _fb_cuda_mode)
if(NOT _fb_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "FB_CUDA must be AUTO, ON or OFF (got '${FB_CUDA}')")
endif()

set(FB_HAVE_CUDA OFF)
set(_fb_cuda_missing "")

if(FB_SANITIZE AND NOT _fb_cuda_mode STREQUAL "OFF")
  if(_fb_cuda_mode STREQUAL "ON")
    message(WARNING "FB_CUDA=ON is ignored with FB_SANITIZE=ON: sanitizer builds leave CUDA out")
  endif()
  message(STATUS "CUDA: off (FB_SANITIZE=ON; the CUDA runtime and ASan do not mix)")
  set(_fb_cuda_mode OFF)
elseif(_fb_cuda_mode STREQUAL "OFF")
  message(STATUS "CUDA: off (FB_CUDA=OFF)")
endif()

if(NOT _fb_cuda_mode STREQUAL "OFF")
  # ---- nvcc ----
  if(DEFINED CMAKE_CUDA_COMPILER AND CMAKE_CUDA_COMPILER AND NOT EXISTS "${CMAKE_CUDA_COMPILER}")
    list(APPEND _fb_cuda_missing "nvcc (CMAKE_CUDA_COMPILER=${CMAKE_CUDA_COMPILER} does not exist)")
  elseif(DEFINED CMAKE_CUDA_COMPILER AND CMAKE_CUDA_COMPILER)
    # Given, so check_language would not test it: at least make sure it is an nvcc (the
    # kernels' flags are nvcc's) rather than fail later inside enable_language.
    execute_process(COMMAND "${CMAKE_CUDA_COMPILER}" --version RESULT_VARIABLE _fb_nvcc_result
                    OUTPUT_VARIABLE _fb_nvcc_version ERROR_QUIET)
    if(NOT _fb_nvcc_result EQUAL 0 OR NOT _fb_nvcc_version MATCHES "Cuda compilation tools")
      list(APPEND _fb_cuda_missing
           "nvcc (CMAKE_CUDA_COMPILER=${CMAKE_CUDA_COMPILER} is not a working nvcc)")
    endif()
  else()
    if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
      find_program(FB_NVCC nvcc
                   HINTS ${CUDAToolkit_ROOT} ENV CUDAToolkit_ROOT ENV CUDA_PATH ENV CUDA_HOME
                         /usr/local/cuda
                   PATH_SUFFIXES bin
                   DOC "nvcc found for FB_CUDA")
      if(FB_NVCC)
        set(ENV{CUDACXX} "${FB_NVCC}")  # the hint for check_language and enable_language
      endif()
    endif()
    # Unless CMAKE_CUDA_COMPILER was given, enables CUDA in a scratch project, which proves
    # nvcc works with the host compiler, and caches CMAKE_CUDA_COMPILER (NOTFOUND if not).
    include(CheckLanguage)
    check_language(CUDA)
    if(NOT CMAKE_CUDA_COMPILER)
      list(APPEND _fb_cuda_missing
           "a working nvcc (none found, or it failed to build a test program: see CMakeFiles/CMakeError.log)")
    endif()
  endif()

  # ---- NCCL ----
  set(_fb_nccl_hints ${NCCL_ROOT} $ENV{NCCL_ROOT} ${CUDAToolkit_ROOT} /usr/local/cuda)
  file(GLOB _fb_cuda_target_trees LIST_DIRECTORIES true /usr/local/cuda/targets/*)
  list(APPEND _fb_nccl_hints ${_fb_cuda_target_trees})
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${_fb_nccl_hints} PATH_SUFFIXES include
            DOC "Directory of nccl.h")
  find_library(NCCL_LIBRARY nccl HINTS ${_fb_nccl_hints} PATH_SUFFIXES lib lib64
               DOC "The NCCL library")
  if(NOT NCCL_INCLUDE_DIR)
    list(APPEND _fb_cuda_missing "nccl.h (set NCCL_ROOT or NCCL_INCLUDE_DIR)")
  elseif(NOT EXISTS "${NCCL_INCLUDE_DIR}/nccl.h")
    list(APPEND _fb_cuda_missing "nccl.h (NCCL_INCLUDE_DIR=${NCCL_INCLUDE_DIR} has none)")
  endif()
  if(NOT NCCL_LIBRARY)
    list(APPEND _fb_cuda_missing "libnccl (set NCCL_ROOT or NCCL_LIBRARY)")
  elseif(NOT EXISTS "${NCCL_LIBRARY}")
    list(APPEND _fb_cuda_missing "libnccl (NCCL_LIBRARY=${NCCL_LIBRARY} does not exist)")
  endif()

  if(_fb_cuda_missing)
    list(JOIN _fb_cuda_missing "; " _fb_cuda_missing_text)
    if(_fb_cuda_mode STREQUAL "ON")
      message(FATAL_ERROR "FB_CUDA=ON but CUDA support cannot be built, missing: "
                          "${_fb_cuda_missing_text}")
    endif()
    message(STATUS "CUDA: off (FB_CUDA=AUTO, missing: ${_fb_cuda_missing_text})")
  else()
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "80-real;90-real;90-virtual")
    endif()
    # One CUDA runtime in the process: the shared one, as NCCL uses.
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
    # The CUDA dialect of every target, CUDA sources or not. Without it a target's
    # CUDA_STANDARD falls back to its CXX_STANDARD (20, CMakeLists.txt), and the Makefile
    # generator computes CUDA flags for every target that links CUDA objects (fb_gpu links
    # fb_gpu_kernels' objects): CMake 3.25 knows no C++20 flag for nvcc, so configuring
    # failed with "Target fb_gpu requires the language dialect CUDA20" (Ninja only computes
    # flags for the sources it compiles, so it never asked). The kernels need only C++17;
    # the host code stays C++20.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(CMAKE_CUDA_EXTENSIONS OFF)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    if(NOT TARGET fb::nccl)
      add_library(fb::nccl UNKNOWN IMPORTED)
      set_target_properties(fb::nccl PROPERTIES IMPORTED_LOCATION "${NCCL_LIBRARY}"
                                                INTERFACE_INCLUDE_DIRECTORIES "${NCCL_INCLUDE_DIR}")
    endif()
    set(FB_HAVE_CUDA ON)
    message(STATUS "CUDA: on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures "
                   "${CMAKE_CUDA_ARCHITECTURES}; NCCL ${NCCL_LIBRARY})")
  endif()
endif()
