// CBLAS from OpenBLAS, plus the LAPACK routines NOLAKit calls (OpenBLAS exports them with the
// Fortran calling convention: every argument by pointer, a trailing underscore, column-major).
#ifndef NOLA_COPENBLAS_SHIM_H
#define NOLA_COPENBLAS_SHIM_H

#include <cblas.h>

/// Symmetric eigen-decomposition, divide and conquer (double precision).
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/// Symmetric eigen-decomposition, divide and conquer (single precision).
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);

/// Singular value decomposition, divide and conquer (single precision).
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s,
             float *u, const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork,
             int *iwork, int *info);

#endif
