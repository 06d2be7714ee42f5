/* bx-optim.c — torch.optim.Adam / AdamW (single-tensor, non-amsgrad path). */
#include "bx-nn.h"

#include <math.h>

BxAdamConfig
bx_adam_config_default (gboolean adamw)
{
  BxAdamConfig c = { 1e-3f, 0.9f, 0.999f, 1e-8f, adamw ? 1e-2f : 0.0f, adamw };
  return c;
}

BxAdamState *
bx_adam_state_new (size_t n_params)
{
  BxAdamState *s = g_new0 (BxAdamState, 1);
  s->n = n_params;
  s->m = g_new0 (float, n_params);
  s->v = g_new0 (float, n_params);
  return s;
}

void
bx_adam_state_free (BxAdamState *state)
{
  if (state == NULL)
    return;
  g_free (state->m);
  g_free (state->v);
  g_free (state);
}

void
bx_adam_step (float *params, const float *grads, BxAdamState *state, const BxAdamConfig *config)
{
  state->step++;
  float lr = config->lr, b1 = config->beta1, b2 = config->beta2, eps = config->eps, wd = config->weight_decay;
  double bc1 = 1.0 - pow (b1, (double) state->step);
  double bc2 = 1.0 - pow (b2, (double) state->step);
  float step_size = (float) (lr / bc1);
  float bc2_sqrt = (float) sqrt (bc2);
  float decay = config->decoupled ? 1.0f - lr * wd : 1.0f;
  for (size_t i = 0; i < state->n; i++)
    {
      float g = grads[i];
      if (!config->decoupled && wd != 0.0f)
        g += wd * params[i];
      params[i] *= decay;
      float m = state->m[i] = b1 * state->m[i] + (1.0f - b1) * g;
      float v = state->v[i] = b2 * state->v[i] + (1.0f - b2) * g * g;
      params[i] -= step_size * m / (sqrtf (v) / bc2_sqrt + eps);
    }
}
