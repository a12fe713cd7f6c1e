// sin and cos of one angle in one libm call, for the gait model's per-sample trigonometry.
// Swift's Glibc module does not import GNU `sincos`; glibc computes it with the same
// routines as `sin` and `cos`, so the results are the same bits (checked over 9.7 million
// angles in [-60, 60) against separate calls), only about half the work.
#ifndef GAITWAY_CSINCOS_H
#define GAITWAY_CSINCOS_H

#if defined(__APPLE__)
#include <math.h>
static inline void gaitway_sincos(double x, double *s, double *c) { __sincos(x, s, c); }
#else
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
extern void sincos(double x, double *s, double *c);
static inline void gaitway_sincos(double x, double *s, double *c) { sincos(x, s, c); }
#endif

#endif
