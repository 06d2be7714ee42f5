/* bx-sim-rng.h — the synthetic night's own pseudo-random numbers.
 *
 * xoshiro256** seeded through splitmix64 (Blackman & Vigna). Every stream is
 * derived from (seed, stream id), so each part of the generator draws from
 * its own sequence and the output does not depend on how the work is split
 * over threads. Never rand(): its sequence differs between C libraries.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 s[4];
  /* Box-Muller makes two normals; the second is kept here. */
  double spare;
  gboolean has_spare;
} BxSimRng;

/* Stream `stream` of generator `seed`: independent of every other stream. */
void bx_sim_rng_init (BxSimRng *rng, guint64 seed, guint64 stream);
guint64 bx_sim_rng_next (BxSimRng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double bx_sim_rng_uniform (BxSimRng *rng);
/* Uniform in [lo, hi). */
double bx_sim_rng_range (BxSimRng *rng, double lo, double hi);
/* Standard normal (Box-Muller, exact). */
double bx_sim_rng_normal (BxSimRng *rng);
/* Approximately standard normal from one 64-bit draw: the sum of four 16-bit
 * uniforms (Irwin-Hall), rescaled to unit variance. Bounded at ±3.46; about
 * ten times cheaper than bx_sim_rng_normal(), used for per-sample noise. */
double bx_sim_rng_fast_normal (BxSimRng *rng);
/* Exponential with the given mean. */
double bx_sim_rng_exponential (BxSimRng *rng, double mean);
/* TRUE with probability p. */
gboolean bx_sim_rng_bernoulli (BxSimRng *rng, double p);
/* Integer in [lo, hi] (inclusive). */
int bx_sim_rng_int (BxSimRng *rng, int lo, int hi);

G_END_DECLS
