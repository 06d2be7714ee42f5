/* bx-sim-rng.c — xoshiro256** with splitmix64 seeding. */
#include "bx-sim-rng.h"

#include <math.h>

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
bx_sim_rng_init (BxSimRng *rng, guint64 seed, guint64 stream)
{
  /* Mix seed and stream through splitmix64 first so that neighbouring seeds
   * and streams give unrelated states. */
  guint64 state = seed;
  guint64 mixed = splitmix64 (&state);

  state = mixed ^ (stream * G_GUINT64_CONSTANT (0xd1b54a32d192ed03));
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&state);
  rng->has_spare = FALSE;
  rng->spare = 0.0;
}

guint64
bx_sim_rng_next (BxSimRng *rng)
{
  guint64 *s = rng->s;
  const guint64 result = rotl (s[1] * 5, 7) * 9;
  const guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
bx_sim_rng_uniform (BxSimRng *rng)
{
  return (double)(bx_sim_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
bx_sim_rng_range (BxSimRng *rng, double lo, double hi)
{
  return lo + (hi - lo) * bx_sim_rng_uniform (rng);
}

double
bx_sim_rng_normal (BxSimRng *rng)
{
  double u1, u2, r;

  if (rng->has_spare)
    {
      rng->has_spare = FALSE;
      return rng->spare;
    }
  do
    u1 = bx_sim_rng_uniform (rng);
  while (u1 <= 0.0);
  u2 = bx_sim_rng_uniform (rng);
  r = sqrt (-2.0 * log (u1));
  rng->spare = r * sin (2.0 * G_PI * u2);
  rng->has_spare = TRUE;
  return r * cos (2.0 * G_PI * u2);
}

double
bx_sim_rng_fast_normal (BxSimRng *rng)
{
  const guint64 x = bx_sim_rng_next (rng);
  /* Four uniforms on 0..65535: mean 2 × 65535, variance 4 × (65536² - 1) / 12. */
  const double sum = (double)(x & 0xffff) + (double)((x >> 16) & 0xffff) + (double)((x >> 32) & 0xffff)
                     + (double)(x >> 48);

  return (sum - 131070.0) * (1.0 / 37837.23);
}

double
bx_sim_rng_exponential (BxSimRng *rng, double mean)
{
  return -mean * log1p (-bx_sim_rng_uniform (rng));
}

gboolean
bx_sim_rng_bernoulli (BxSimRng *rng, double p)
{
  return bx_sim_rng_uniform (rng) < p;
}

int
bx_sim_rng_int (BxSimRng *rng, int lo, int hi)
{
  if (hi <= lo)
    return lo;
  return lo + (int)floor (bx_sim_rng_uniform (rng) * (double)(hi - lo + 1));
}
