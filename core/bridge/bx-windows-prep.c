/* bx-windows-prep.c — per-model preprocessing of one channel (spec §4).
 *
 * Each recipe runs the reference's make_*.py steps:
 *   LABRAM_EEG    linear (resample_ecgfm) fs → 200 Hz over each segment (FOG);
 *                 ISRUC's EEG is already 200 Hz, so that is a copy.
 *   HUBERT_ECG    linear fs → 500, FIR 151 taps 0.05–47 Hz filtfilt (odd pad,
 *                 padlen 453), linear 500 → 100, z-score. Per window (ISRUC:
 *                 each epoch is resampled and filtered on its own) or over
 *                 each segment (WESAD: the whole recording).
 *   PAPAGEI_PPG   FFT resample to int(n·125/fs), Cheby1(4, 0.5 dB, 0.5–12 Hz)
 *                 filtfilt, z-score over the recording (all segments).
 *   NORMWEAR_EMG  linear fs → 130 Hz, per-channel z-score over the recording,
 *                 then per window spec_cwt → (3, L − 2, 65).
 * Windows are cut from the processed signal at index round(offset · f_out),
 * so both sides of a paired recording see the same seconds.
 */
#include <math.h>
#include <string.h>

#include "bridge/bx-windows-private.h"
#include "dsp/bx-dsp.h"

#define HUBERT_FS_MID 500.0
#define HUBERT_FIR_TAPS 151
#define HUBERT_FIR_PADLEN (3 * HUBERT_FIR_TAPS)

double
bx_prep_target_rate (BxPrepRecipe recipe)
{
  switch (recipe)
    {
    case BX_PREP_LABRAM_EEG:
      return 200;
    case BX_PREP_HUBERT_ECG:
      return 100;
    case BX_PREP_PAPAGEI_PPG:
      return 125;
    case BX_PREP_NORMWEAR_EMG:
      return 130;
    case BX_PREP_COMPACT:
      return 100;
    default:
      return 0;
    }
}

double
bx_prep_side_rate (BxPrepRecipe recipe, double rate)
{
  if (recipe == BX_PREP_COMPACT && rate > 0)
    return rate;
  return bx_prep_target_rate (recipe);
}

double
bx_prep_min_rate (BxPrepRecipe recipe, const char **why)
{
  const char *reason = "";
  double rate = 0;

  switch (recipe)
    {
    case BX_PREP_LABRAM_EEG:
      /* LaBraM's patches are 1 s at 200 Hz; below 100 Hz the upsampled signal
       * lacks most of the band the model was trained on. */
      reason = "LaBraM's 200 Hz input (→200 Hz linear) needs an EEG sampled at 100 Hz or more";
      rate = 100;
      break;
    case BX_PREP_HUBERT_ECG:
      reason = "HuBERT-ECG's chain (→500 Hz, 0.05–47 Hz band-pass, →100 Hz) needs an ECG sampled at 100 Hz or more";
      rate = 100;
      break;
    case BX_PREP_PAPAGEI_PPG:
      reason = "PaPaGei's chain (→125 Hz, 0.5–12 Hz band-pass) needs a PPG sampled at 25 Hz or more";
      rate = 25;
      break;
    case BX_PREP_NORMWEAR_EMG:
      reason = "NormWear's 130 Hz input needs an EMG sampled at 100 Hz or more";
      rate = 100;
      break;
    case BX_PREP_COMPACT:
      /* 0.5-s patches of 25 (PPG) or 50 samples: below 25 Hz most of a patch
       * would be interpolated. */
      reason = "the compact encoders' input needs a signal sampled at 25 Hz or more";
      rate = 25;
      break;
    }
  if (why)
    *why = reason;
  return rate;
}

const char *
bx_prep_recipe_name (BxPrepRecipe recipe)
{
  switch (recipe)
    {
    case BX_PREP_LABRAM_EEG:
      return "LABRAM_EEG";
    case BX_PREP_HUBERT_ECG:
      return "HUBERT_ECG";
    case BX_PREP_PAPAGEI_PPG:
      return "PAPAGEI_PPG";
    case BX_PREP_NORMWEAR_EMG:
      return "NORMWEAR_EMG";
    case BX_PREP_COMPACT:
      return "COMPACT";
    default:
      return "?";
    }
}

BxModality
bx_prep_recipe_modality (BxPrepRecipe recipe)
{
  switch (recipe)
    {
    case BX_PREP_LABRAM_EEG:
      return BX_MODALITY_EEG;
    case BX_PREP_HUBERT_ECG:
      return BX_MODALITY_ECG;
    case BX_PREP_PAPAGEI_PPG:
      return BX_MODALITY_PPG;
    case BX_PREP_NORMWEAR_EMG:
      return BX_MODALITY_EMG;
    default:
      return BX_MODALITY_OTHER;
    }
}

int
bx_prep_raw_shape (BxPrepRecipe recipe, guint n_channels, gint64 n_target, gint64 *shape)
{
  switch (recipe)
    {
    case BX_PREP_LABRAM_EEG:
    case BX_PREP_COMPACT:
      shape[0] = n_channels;
      shape[1] = n_target;
      return 2;
    case BX_PREP_HUBERT_ECG:
    case BX_PREP_PAPAGEI_PPG:
      shape[0] = 1;
      shape[1] = n_target;
      return 2;
    case BX_PREP_NORMWEAR_EMG:
      shape[0] = n_channels;
      shape[1] = 3;
      shape[2] = n_target - 2;
      shape[3] = BX_SPEC_CWT_N_WIDTHS;
      return 4;
    default:
      return 0;
    }
}

static void
prefix_error (GError **error, const BxPrepChannel *prep)
{
  g_prefix_error (error, "%s: channel '%s' (%s): ", prep->file, prep->channel_label, bx_prep_recipe_name (prep->recipe));
}

static gboolean
report (BxJob *job, GError **error)
{
  return job == NULL || bx_job_check (job, error);
}

/* Mean / std over every processed segment (the "whole recording"), then
 * (x − mean) / std in place; constant signals become 0 (lead_std_divide). */
static void
zscore_segments (float *const *y, const gsize *n, guint n_segs)
{
  double sum = 0, sum2 = 0, mean, std;
  gsize total = 0;

  for (guint s = 0; s < n_segs; s++)
    for (gsize i = 0; i < n[s]; i++)
      sum += y[s][i];
  for (guint s = 0; s < n_segs; s++)
    total += n[s];
  if (total == 0)
    return;
  mean = sum / (double) total;
  for (guint s = 0; s < n_segs; s++)
    for (gsize i = 0; i < n[s]; i++)
      {
        double d = y[s][i] - mean;
        sum2 += d * d;
      }
  std = sqrt (sum2 / (double) total);
  for (guint s = 0; s < n_segs; s++)
    for (gsize i = 0; i < n[s]; i++)
      y[s][i] = std > 0 ? (float) ((y[s][i] - mean) / std) : 0.0f;
}

/* HuBERT-ECG's chain on one stretch x (n samples at fs) → y at 100 Hz with
 * n_out samples (n_out 0 = the reference's int(n500 · 100 / 500)). */
static float *
hubert_chain (const BxFilterCoeffs *fir, const float *x, gsize n, double fs, gsize n_out, gsize *out_n,
              GError **error)
{
  gsize n500 = 0;
  g_autofree float *x500 = NULL;
  float *y;

  if (n < 2)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL, "%" G_GSIZE_FORMAT " samples are too few", n);
      return NULL;
    }
  x500 = bx_resample_linear (x, n, fs, HUBERT_FS_MID, &n500, error);
  if (x500 == NULL)
    return NULL;
  if (n500 <= HUBERT_FIR_PADLEN)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                   "%.3f s is too short for the 151-tap band-pass with filtfilt (more than %d samples at 500 Hz, "
                   "i.e. about 1 s, are needed)",
                   (double) n / fs, HUBERT_FIR_PADLEN);
      return NULL;
    }
  if (!bx_filtfilt (fir, x500, x500, n500, BX_PAD_ODD, HUBERT_FIR_PADLEN, error))
    return NULL;
  if (n_out == 0)
    return bx_resample_linear (x500, n500, HUBERT_FS_MID, 100, out_n, error);
  y = g_new (float, n_out);
  if (!bx_resample_linear_into (x500, n500, y, n_out, error))
    {
      g_free (y);
      return NULL;
    }
  *out_n = n_out;
  return y;
}

static gboolean
window_range (const BxPrepChannel *prep, double offset, double rate, gsize len, gsize n_avail, gsize *start,
              char **bad)
{
  double first = floor (offset * rate + 0.5);

  if (first < 0)
    first = 0;
  if ((gsize) first + len > n_avail)
    {
      *bad = g_strdup_printf ("runs past the end of channel '%s' (%s)", prep->channel_label,
                              bx_prep_recipe_name (prep->recipe));
      return FALSE;
    }
  *start = (gsize) first;
  return TRUE;
}

gboolean
bx_prep_channel (const BxPrepChannel *prep, float *const *seg_data, const gsize *seg_n, guint n_segs,
                 guint n_windows, const guint *win_seg, const double *win_offset, double window_s, char **bad,
                 float *out, gsize stride, guint channel, gsize per_channel, BxJob *job, GError **error)
{
  double f_out = bx_prep_side_rate (prep->recipe, prep->rate);
  gsize len = (gsize) floor (window_s * f_out + 0.5);
  g_autoptr (BxFilterCoeffs) fir = NULL;
  g_autoptr (BxFilterCoeffs) iir = NULL;
  float **y = g_new0 (float *, n_segs);
  gsize *y_n = g_new0 (gsize, n_segs);
  gboolean ok = FALSE;

  if (prep->recipe == BX_PREP_HUBERT_ECG)
    {
      static const double band[2] = { 0.05, 47 };
      g_autofree double *taps = bx_firwin (HUBERT_FIR_TAPS, band, 2, FALSE, NULL, HUBERT_FS_MID, error);

      if (taps == NULL || (fir = bx_filter_coeffs_new_fir (taps, HUBERT_FIR_TAPS, error)) == NULL)
        goto out;
    }

  /* HuBERT per window (ISRUC): each epoch through the chain on its own. */
  if (prep->recipe == BX_PREP_HUBERT_ECG && prep->per_window_filter)
    {
      gsize n_native = (gsize) floor (window_s * prep->fs + 0.5);

      for (guint k = 0; k < n_windows; k++)
        {
          gsize start, got;
          g_autofree float *w = NULL;

          if (bad[k] != NULL)
            continue;
          if (k % 64 == 0 && !report (job, error))
            goto out;
          if (!window_range (prep, win_offset[k], prep->fs, n_native, seg_n[win_seg[k]], &start, &bad[k]))
            continue;
          w = hubert_chain (fir, seg_data[win_seg[k]] + start, n_native, prep->fs, len, &got, error);
          if (w == NULL)
            {
              prefix_error (error, prep);
              goto out;
            }
          if (prep->per_window_zscore && !bx_zscore (w, len, error))
            goto out;
          memcpy (out + k * stride + channel * per_channel, w, len * sizeof (float));
        }
      ok = TRUE;
      goto out;
    }

  if (prep->recipe == BX_PREP_PAPAGEI_PPG
      && (iir = bx_cheby1 (4, 0.5, BX_BAND_BANDPASS, 0.5, 12, 125, error)) == NULL)
    goto out;

  /* Whole-segment steps. */
  for (guint s = 0; s < n_segs; s++)
    {
      if (!report (job, error))
        goto out;
      if (seg_n[s] < 2)
        continue;  /* too short for any window; y stays empty */
      switch (prep->recipe)
        {
        case BX_PREP_LABRAM_EEG:
        case BX_PREP_NORMWEAR_EMG:
          y[s] = bx_resample_linear (seg_data[s], seg_n[s], prep->fs, f_out, &y_n[s], error);
          break;
        case BX_PREP_COMPACT:
          {
            /* Polyphase (anti-aliased) when f_out / fs is rational with small
             * terms, as the compact encoders were pretrained; else linear. */
            g_autoptr (GError) local = NULL;

            if (fabs (f_out - prep->fs) < 1e-9 * f_out)
              {
                y[s] = g_memdup2 (seg_data[s], seg_n[s] * sizeof (float));
                y_n[s] = seg_n[s];
              }
            else if ((y[s] = bx_resample_poly_rates (seg_data[s], seg_n[s], prep->fs, f_out, &y_n[s], &local))
                     == NULL)
              y[s] = bx_resample_linear (seg_data[s], seg_n[s], prep->fs, f_out, &y_n[s], error);
          }
          break;
        case BX_PREP_HUBERT_ECG:
          y[s] = hubert_chain (fir, seg_data[s], seg_n[s], prep->fs, 0, &y_n[s], error);
          break;
        case BX_PREP_PAPAGEI_PPG:
          {
            gsize n125 = (gsize) ((double) seg_n[s] * (125.0 / prep->fs));

            y[s] = bx_resample_fft (seg_data[s], seg_n[s], n125, error);
            y_n[s] = n125;
            if (y[s] != NULL && !bx_filtfilt (iir, y[s], y[s], n125, BX_PAD_ODD, BX_PADLEN_DEFAULT, error))
              {
                prefix_error (error, prep);
                goto out;
              }
          }
          break;
        }
      if (y[s] == NULL)
        {
          prefix_error (error, prep);
          goto out;
        }
    }
  if (prep->recipe == BX_PREP_PAPAGEI_PPG || prep->recipe == BX_PREP_NORMWEAR_EMG
      || (prep->recipe == BX_PREP_HUBERT_ECG && !prep->per_window_zscore))
    zscore_segments (y, y_n, n_segs);

  for (guint k = 0; k < n_windows; k++)
    {
      gsize start;
      float *dst;

      if (bad[k] != NULL)
        continue;
      if (k % 64 == 0 && !report (job, error))
        goto out;
      if (!window_range (prep, win_offset[k], f_out, len, y_n[win_seg[k]], &start, &bad[k]))
        continue;
      dst = out + k * stride + channel * per_channel;
      if (prep->recipe == BX_PREP_NORMWEAR_EMG)
        {
          if (!bx_spec_cwt (y[win_seg[k]] + start, len, dst, error))
            {
              prefix_error (error, prep);
              goto out;
            }
          continue;
        }
      memcpy (dst, y[win_seg[k]] + start, len * sizeof (float));
      if (prep->recipe == BX_PREP_HUBERT_ECG && prep->per_window_zscore && !bx_zscore (dst, len, error))
        goto out;
    }
  ok = TRUE;

out:
  for (guint s = 0; s < n_segs; s++)
    g_free (y[s]);
  g_free (y);
  g_free (y_n);
  return ok;
}
