/* bx-hypnogram.c — stage codes, stage sets, hypnogram arithmetic and sleep statistics. */
#include "bx-hypnogram.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (bx-hypnogram-error-quark, bx_hypnogram_error)

BxHypnogram *
bx_hypnogram_new (double start, double epoch_length, guint n_epochs)
{
  return bx_hypnogram_new_filled (start, epoch_length, n_epochs, BX_STAGE_UNKNOWN);
}

BxHypnogram *
bx_hypnogram_new_filled (double start, double epoch_length, guint n_epochs, gint8 value)
{
  BxHypnogram *hypnogram;

  g_return_val_if_fail (epoch_length > 0, NULL);

  hypnogram = g_new0 (BxHypnogram, 1);
  hypnogram->start = start;
  hypnogram->epoch_length = epoch_length;
  hypnogram->n_epochs = n_epochs;
  /* One spare byte so a zero-epoch hypnogram still owns a valid array. */
  hypnogram->stages = g_new (gint8, n_epochs + 1);
  memset (hypnogram->stages, value, n_epochs + 1);
  return hypnogram;
}

void
bx_hypnogram_free (BxHypnogram *hypnogram)
{
  if (hypnogram == NULL)
    return;
  g_free (hypnogram->stages);
  g_free (hypnogram->confidence);
  g_free (hypnogram);
}

BxHypnogram *
bx_hypnogram_copy (const BxHypnogram *hypnogram)
{
  BxHypnogram *copy;

  g_return_val_if_fail (hypnogram != NULL, NULL);

  copy = bx_hypnogram_new (hypnogram->start, hypnogram->epoch_length, hypnogram->n_epochs);
  memcpy (copy->stages, hypnogram->stages, hypnogram->n_epochs);
  if (hypnogram->confidence != NULL)
    {
      /* The header promises n_epochs values; callers may allocate exactly that. */
      copy->confidence = g_new0 (float, hypnogram->n_epochs + 1);
      memcpy (copy->confidence, hypnogram->confidence, sizeof (float) * hypnogram->n_epochs);
    }
  return copy;
}

void
bx_hypnogram_ensure_confidence (BxHypnogram *hypnogram)
{
  g_return_if_fail (hypnogram != NULL);
  if (hypnogram->confidence == NULL)
    hypnogram->confidence = g_new0 (float, hypnogram->n_epochs + 1);
}

double
bx_hypnogram_get_end (const BxHypnogram *hypnogram)
{
  g_return_val_if_fail (hypnogram != NULL, 0.0);
  return hypnogram->start + hypnogram->n_epochs * hypnogram->epoch_length;
}

/* ---- Stage texts ---- */

static const char *const stage_names[BX_STAGE_N_CODES] = { "W", "N1", "N2", "N3", "N4", "R", "MT" };
static const char *const stage_annotation_texts[BX_STAGE_N_CODES] = {
  "Sleep stage W", "Sleep stage 1", "Sleep stage 2", "Sleep stage 3", "Sleep stage 4", "Sleep stage R",
  "Movement time",
};

const char *
bx_stage_to_string (BxStage stage)
{
  if (stage >= 0 && stage < BX_STAGE_N_CODES)
    return stage_names[stage];
  return "?";
}

const char *
bx_stage_to_annotation_text (BxStage stage)
{
  if (stage >= 0 && stage < BX_STAGE_N_CODES)
    return stage_annotation_texts[stage];
  return "Sleep stage ?";
}

/* Normalised spellings (lower case, '_' and runs of blanks -> one space, an
 * NSRR "|code" suffix removed) and the stage each stands for. The Sleep-EDF
 * prefix "sleep stage " and the prefix "stage " are removed before lookup, so
 * "Sleep stage 2", "Stage 2" and "2" all land on "2". */
static const struct {
  const char *text;
  BxStage stage;
} stage_spellings[] = {
  { "w", BX_STAGE_WAKE },        { "wake", BX_STAGE_WAKE },        { "awake", BX_STAGE_WAKE },
  { "1", BX_STAGE_N1 },          { "n1", BX_STAGE_N1 },            { "s1", BX_STAGE_N1 },
  { "2", BX_STAGE_N2 },          { "n2", BX_STAGE_N2 },            { "s2", BX_STAGE_N2 },
  { "3", BX_STAGE_N3 },          { "n3", BX_STAGE_N3 },            { "s3", BX_STAGE_N3 },
  { "4", BX_STAGE_N4 },          { "n4", BX_STAGE_N4 },            { "s4", BX_STAGE_N4 },
  { "r", BX_STAGE_REM },         { "rem", BX_STAGE_REM },          { "rem sleep", BX_STAGE_REM },
  { "1 sleep", BX_STAGE_N1 },    { "2 sleep", BX_STAGE_N2 },       { "3 sleep", BX_STAGE_N3 },
  { "4 sleep", BX_STAGE_N4 },    { "m", BX_STAGE_MOVEMENT },       { "mt", BX_STAGE_MOVEMENT },
  { "movement", BX_STAGE_MOVEMENT }, { "movement time", BX_STAGE_MOVEMENT },
  { "?", BX_STAGE_UNKNOWN },     { "unscored", BX_STAGE_UNKNOWN },
};

gboolean
bx_stage_from_string (const char *text, BxStage *out_stage)
{
  char norm[64];
  gsize n = 0;
  const char *p;
  const char *key;
  char *bar;

  g_return_val_if_fail (out_stage != NULL, FALSE);
  if (text == NULL)
    return FALSE;

  /* Lower-case, map '_' to ' ', collapse blanks, trim. */
  for (p = text; *p != '\0'; p++)
    {
      char c = *p;

      if (c == '_' || g_ascii_isspace (c))
        c = ' ';
      if (c == ' ' && (n == 0 || norm[n - 1] == ' '))
        continue;
      if (n + 1 >= sizeof norm)
        return FALSE;
      norm[n++] = g_ascii_tolower (c);
    }
  while (n > 0 && norm[n - 1] == ' ')
    n--;
  norm[n] = '\0';

  /* NSRR XML exports write "Stage 2 sleep|2", "Wake|0". */
  bar = strchr (norm, '|');
  if (bar != NULL && bar != norm)
    {
      const char *q = bar + 1;

      if (*q == '\0')
        return FALSE;
      for (; *q != '\0'; q++)
        if (!g_ascii_isdigit (*q))
          return FALSE;
      *bar = '\0';
      while (bar > norm && bar[-1] == ' ')
        *--bar = '\0';
    }

  key = norm;
  if (g_str_has_prefix (key, "sleep stage "))
    key += strlen ("sleep stage ");
  else if (g_str_has_prefix (key, "stage "))
    key += strlen ("stage ");

  for (gsize i = 0; i < G_N_ELEMENTS (stage_spellings); i++)
    if (strcmp (key, stage_spellings[i].text) == 0)
      {
        *out_stage = stage_spellings[i].stage;
        return TRUE;
      }
  return FALSE;
}

/* ---- Stage sets ---- */

static const char *const aasm_names[] = { "W", "N1", "N2", "N3", "R" };
static const char *const rk_names[] = { "W", "S1", "S2", "S3", "S4", "R" };
static const char *const sleep_wake_names[] = { "W", "Sleep" };

/* Class of each stage code W, N1, N2, N3, N4, R, MT per set. */
static const int aasm_classes[BX_STAGE_N_CODES] = { 0, 1, 2, 3, 3, 4, -1 };
static const int rk_classes[BX_STAGE_N_CODES] = { 0, 1, 2, 3, 4, 5, -1 };
static const int sleep_wake_classes[BX_STAGE_N_CODES] = { 0, 1, 1, 1, 1, 1, -1 };

/* Stage each class stands for (inverse where one exists). */
static const BxStage aasm_stages[] = { BX_STAGE_WAKE, BX_STAGE_N1, BX_STAGE_N2, BX_STAGE_N3, BX_STAGE_REM };
static const BxStage rk_stages[] = { BX_STAGE_WAKE, BX_STAGE_N1, BX_STAGE_N2, BX_STAGE_N3, BX_STAGE_N4, BX_STAGE_REM };
static const BxStage sleep_wake_stages[] = { BX_STAGE_WAKE, BX_STAGE_UNKNOWN };

int
bx_stage_set_class (BxStageSet set, BxStage stage)
{
  if (stage < 0 || stage >= BX_STAGE_N_CODES)
    return -1;
  switch (set)
    {
    case BX_STAGE_SET_AASM:
      return aasm_classes[stage];
    case BX_STAGE_SET_RK:
      return rk_classes[stage];
    case BX_STAGE_SET_SLEEP_WAKE:
      return sleep_wake_classes[stage];
    default:
      g_return_val_if_reached (-1);
    }
}

guint
bx_stage_set_n_classes (BxStageSet set)
{
  switch (set)
    {
    case BX_STAGE_SET_AASM:
      return G_N_ELEMENTS (aasm_names);
    case BX_STAGE_SET_RK:
      return G_N_ELEMENTS (rk_names);
    case BX_STAGE_SET_SLEEP_WAKE:
      return G_N_ELEMENTS (sleep_wake_names);
    default:
      g_return_val_if_reached (0);
    }
}

const char *
bx_stage_set_class_name (BxStageSet set, guint class_index)
{
  g_return_val_if_fail (class_index < bx_stage_set_n_classes (set), "?");
  switch (set)
    {
    case BX_STAGE_SET_AASM:
      return aasm_names[class_index];
    case BX_STAGE_SET_RK:
      return rk_names[class_index];
    case BX_STAGE_SET_SLEEP_WAKE:
      return sleep_wake_names[class_index];
    default:
      g_return_val_if_reached ("?");
    }
}

BxStage
bx_stage_set_class_stage (BxStageSet set, int class_index)
{
  if (class_index < 0 || (guint) class_index >= bx_stage_set_n_classes (set))
    return BX_STAGE_UNKNOWN;
  switch (set)
    {
    case BX_STAGE_SET_AASM:
      return aasm_stages[class_index];
    case BX_STAGE_SET_RK:
      return rk_stages[class_index];
    case BX_STAGE_SET_SLEEP_WAKE:
      return sleep_wake_stages[class_index];
    default:
      g_return_val_if_reached (BX_STAGE_UNKNOWN);
    }
}

gboolean
bx_stage_set_from_string (const char *text, BxStageSet *out_set)
{
  static const struct {
    const char *name;
    BxStageSet set;
  } names[] = {
    { "aasm", BX_STAGE_SET_AASM },         { "rk", BX_STAGE_SET_RK },
    { "r&k", BX_STAGE_SET_RK },            { "sleep-wake", BX_STAGE_SET_SLEEP_WAKE },
    { "sleepwake", BX_STAGE_SET_SLEEP_WAKE }, { "sleep_wake", BX_STAGE_SET_SLEEP_WAKE },
    { "sw", BX_STAGE_SET_SLEEP_WAKE },
  };

  g_return_val_if_fail (out_set != NULL, FALSE);
  if (text == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (text, names[i].name) == 0)
      {
        *out_set = names[i].set;
        return TRUE;
      }
  return FALSE;
}

const char *
bx_stage_set_to_string (BxStageSet set)
{
  switch (set)
    {
    case BX_STAGE_SET_AASM:
      return "aasm";
    case BX_STAGE_SET_RK:
      return "rk";
    case BX_STAGE_SET_SLEEP_WAKE:
      return "sleep-wake";
    default:
      g_return_val_if_reached ("?");
    }
}

BxHypnogram *
bx_hypnogram_map_to_stage_set (const BxHypnogram *stages, BxStageSet set)
{
  BxHypnogram *classes;

  g_return_val_if_fail (stages != NULL, NULL);

  classes = bx_hypnogram_copy (stages);
  for (guint i = 0; i < classes->n_epochs; i++)
    classes->stages[i] = (gint8) bx_stage_set_class (set, (BxStage) stages->stages[i]);
  return classes;
}

BxHypnogram *
bx_hypnogram_stages_from_classes (const BxHypnogram *classes, BxStageSet set)
{
  BxHypnogram *stages;

  g_return_val_if_fail (classes != NULL, NULL);

  stages = bx_hypnogram_copy (classes);
  for (guint i = 0; i < stages->n_epochs; i++)
    stages->stages[i] = (gint8) bx_stage_set_class_stage (set, classes->stages[i]);
  return stages;
}

/* ---- Window labels and resampling ---- */

/* Votes are indexed by value + 1: slot 0 is unknown, slots 1..128 values 0..127. */
#define N_VOTE_SLOTS 129

int
bx_hypnogram_window_label (const BxHypnogram *hypnogram, double t0, double t1, double min_purity,
                           double *out_purity, float *out_confidence)
{
  double votes[N_VOTE_SLOTS] = { 0 };
  double weighted_confidence[N_VOTE_SLOTS] = { 0 };
  double covered_by[N_VOTE_SLOTS] = { 0 };
  double width = t1 - t0;
  double covered = 0.0;
  double first, last;
  gint64 i0, i1;
  int best = 0;
  gboolean tie = FALSE;
  double purity;

  g_return_val_if_fail (hypnogram != NULL, BX_STAGE_UNKNOWN);

  if (out_purity != NULL)
    *out_purity = 0.0;
  if (out_confidence != NULL)
    *out_confidence = 0.0f;
  if (!(width > 0))
    return BX_STAGE_UNKNOWN;

  first = floor ((t0 - hypnogram->start) / hypnogram->epoch_length);
  last = ceil ((t1 - hypnogram->start) / hypnogram->epoch_length);
  i0 = (gint64) MAX (first, 0.0);
  i1 = (gint64) MIN (last, (double) hypnogram->n_epochs);

  for (gint64 i = i0; i < i1; i++)
    {
      /* Epoch edges from the index, not by accumulation, so long nights keep
       * exact boundaries. */
      double e0 = hypnogram->start + (double) i * hypnogram->epoch_length;
      double e1 = hypnogram->start + (double) (i + 1) * hypnogram->epoch_length;
      double overlap = MIN (t1, e1) - MAX (t0, e0);
      int value = hypnogram->stages[i];
      int slot = value < 0 ? 0 : value + 1;

      if (overlap <= 0)
        continue;
      votes[slot] += overlap;
      covered_by[slot] += overlap;
      covered += overlap;
      if (hypnogram->confidence != NULL)
        weighted_confidence[slot] += overlap * hypnogram->confidence[i];
    }
  /* Time outside the hypnogram is unscored. */
  if (width - covered > 0)
    votes[0] += width - covered;

  for (int s = 1; s < N_VOTE_SLOTS; s++)
    if (votes[s] > votes[best])
      best = s;
  for (int s = 0; s < N_VOTE_SLOTS; s++)
    if (s != best && fabs (votes[s] - votes[best]) <= 1e-9 * width)
      tie = TRUE;

  purity = votes[best] / width;
  if (out_purity != NULL)
    *out_purity = purity;
  if (tie || best == 0 || purity + 1e-12 < min_purity)
    return BX_STAGE_UNKNOWN;
  if (out_confidence != NULL && covered_by[best] > 0)
    *out_confidence = (float) (weighted_confidence[best] / covered_by[best]);
  return best - 1;
}

BxHypnogram *
bx_hypnogram_resample (const BxHypnogram *hypnogram, double epoch_length, double min_purity)
{
  BxHypnogram *resampled;
  double span;
  guint n;

  g_return_val_if_fail (hypnogram != NULL, NULL);
  g_return_val_if_fail (epoch_length > 0, NULL);

  span = hypnogram->n_epochs * hypnogram->epoch_length;
  n = (guint) ceil (span / epoch_length - 1e-9);
  resampled = bx_hypnogram_new (hypnogram->start, epoch_length, n);
  if (hypnogram->confidence != NULL)
    bx_hypnogram_ensure_confidence (resampled);
  for (guint j = 0; j < n; j++)
    {
      double t0 = hypnogram->start + (double) j * epoch_length;
      float confidence = 0.0f;

      resampled->stages[j] = (gint8) bx_hypnogram_window_label (hypnogram, t0, t0 + epoch_length, min_purity,
                                                                 NULL, &confidence);
      if (resampled->confidence != NULL)
        resampled->confidence[j] = confidence;
    }
  return resampled;
}

/* ---- Sleep statistics ---- */

static gboolean
is_sleep (int stage)
{
  return stage == BX_STAGE_N1 || stage == BX_STAGE_N2 || stage == BX_STAGE_N3 || stage == BX_STAGE_N4
         || stage == BX_STAGE_REM;
}

void
bx_hypnogram_summarize (const BxHypnogram *hypnogram, BxHypnogramSummary *out_summary)
{
  BxHypnogramSummary s = { 0 };
  gint64 first_scored = -1, last_scored = -1, onset = -1, last_sleep = -1, first_rem = -1;
  guint n_sleep = 0;
  double len;

  g_return_if_fail (hypnogram != NULL);
  g_return_if_fail (out_summary != NULL);

  len = hypnogram->epoch_length;
  s.epoch_length = len;
  s.n_epochs = hypnogram->n_epochs;
  s.sleep_onset_latency = -1;
  s.rem_latency = -1;

  for (guint i = 0; i < hypnogram->n_epochs; i++)
    {
      int stage = hypnogram->stages[i];

      if (stage < 0 || stage >= BX_STAGE_N_CODES)
        {
          s.n_unknown++;
          continue;
        }
      s.n_stage[stage]++;
      if (first_scored < 0)
        first_scored = i;
      last_scored = i;
      if (is_sleep (stage))
        {
          n_sleep++;
          if (onset < 0)
            onset = i;
          last_sleep = i;
        }
      if (stage == BX_STAGE_REM && first_rem < 0)
        first_rem = i;
    }

  if (first_scored >= 0)
    s.time_in_bed = (double) (last_scored - first_scored + 1) * len;
  s.total_sleep_time = n_sleep * len;
  if (s.time_in_bed > 0)
    s.sleep_efficiency = s.total_sleep_time / s.time_in_bed;

  if (onset >= 0)
    {
      gboolean in_wake = FALSE;

      s.sleep_period_time = (double) (last_sleep - onset + 1) * len;
      s.sleep_onset_latency = (double) (onset - first_scored) * len;
      if (first_rem >= 0)
        s.rem_latency = (double) (first_rem - onset) * len;
      for (gint64 i = onset; i <= last_sleep; i++)
        {
          gboolean wake = hypnogram->stages[i] == BX_STAGE_WAKE;

          if (wake)
            s.waso += len;
          if (wake && !in_wake)
            s.n_awakenings++;
          in_wake = wake;
        }
    }
  *out_summary = s;
}
