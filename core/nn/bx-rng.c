/* bx-rng.c — xoshiro256** seeded through splitmix64; normal by Box–Muller. */
#include "bx-nn.h"

#include <math.h>

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
bx_rng_init (BxRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
  rng->has_spare = FALSE;
  rng->spare = 0.0;
}

guint64
bx_rng_next_u64 (BxRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
bx_rng_uniform (BxRng *rng)
{
  /* top 53 bits → [0, 1) */
  return (double) (bx_rng_next_u64 (rng) >> 11) * (1.0 / 9007199254740992.0);
}

double
bx_rng_normal (BxRng *rng)
{
  if (rng->has_spare)
    {
      rng->has_spare = FALSE;
      return rng->spare;
    }
  double u1 = 1.0 - bx_rng_uniform (rng);  /* (0, 1] so log is finite */
  double u2 = bx_rng_uniform (rng);
  double r = sqrt (-2.0 * log (u1));
  rng->spare = r * sin (2.0 * G_PI * u2);
  rng->has_spare = TRUE;
  return r * cos (2.0 * G_PI * u2);
}

void
bx_rng_fill_uniform (BxRng *rng, float *x, size_t n, float low, float high)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (low + (high - low) * bx_rng_uniform (rng));
}

void
bx_rng_fill_normal (BxRng *rng, float *x, size_t n, float mean, float std)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (mean + std * bx_rng_normal (rng));
}

void
bx_rng_fill_trunc_normal (BxRng *rng, float *x, size_t n, float mean, float std, float a, float b)
{
  g_return_if_fail (a < b);
  for (size_t i = 0; i < n; i++)
    {
      double v;
      int tries = 0;
      do
        v = mean + std * bx_rng_normal (rng);
      while ((v < a || v > b) && ++tries < 1000);
      /* A window far out in the tail: fall back to uniform within it. */
      if (v < a || v > b)
        v = a + (b - a) * bx_rng_uniform (rng);
      x[i] = (float) v;
    }
}

void
bx_rng_fill_kaiming_uniform (BxRng *rng, float *w, size_t n, int fan_in)
{
  /* gain = sqrt(2/(1+a²)) with a = √5 → sqrt(1/3); bound = gain·sqrt(3/fan_in) = 1/sqrt(fan_in) */
  float bound = 1.0f / sqrtf ((float) fan_in);
  bx_rng_fill_uniform (rng, w, n, -bound, bound);
}

void
bx_init_linear (BxRng *rng, float *weight, float *bias, int in_features, int out_features)
{
  bx_rng_fill_kaiming_uniform (rng, weight, (size_t) in_features * out_features, in_features);
  if (bias != NULL)
    bx_rng_fill_kaiming_uniform (rng, bias, out_features, in_features);
}
