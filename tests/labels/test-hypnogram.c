/* test-hypnogram.c — stage texts, stage-set tables, window labels, resampling, sleep statistics.
 *
 * Expected values are worked out by hand in the comments next to them. */
#include <math.h>

#include "bx-test-data.h"
#include "recording/bx-hypnogram.h"

#define W BX_STAGE_WAKE
#define N1 BX_STAGE_N1
#define N2 BX_STAGE_N2
#define N3 BX_STAGE_N3
#define N4 BX_STAGE_N4
#define R BX_STAGE_REM
#define MT BX_STAGE_MOVEMENT
#define U BX_STAGE_UNKNOWN

static BxHypnogram *
hypnogram_from (double epoch_length, const int *stages, guint n)
{
  BxHypnogram *h = bx_hypnogram_new (0.0, epoch_length, n);

  for (guint i = 0; i < n; i++)
    h->stages[i] = (gint8) stages[i];
  return h;
}

static void
test_stage_from_string (void)
{
  static const struct {
    const char *text;
    int stage;
  } good[] = {
    { "W", W },
    { "w", W },
    { "Wake", W },
    { "1", N1 },
    { "2", N2 },
    { "3", N3 },
    { "4", N4 },
    { "R", R },
    { "?", U },
    { "M", MT },
    { "Sleep stage W", W },
    { "Sleep stage 1", N1 },
    { "Sleep stage 2", N2 },
    { "Sleep stage 3", N3 },
    { "Sleep stage 4", N4 },
    { "Sleep stage R", R },
    { "Sleep stage ?", U },
    { "Movement time", MT },
    { "N1", N1 },
    { "N2", N2 },
    { "N3", N3 },
    { "REM", R },
    { "rem", R },
    { "  Sleep   stage 2 ", N2 },
    { "sleep_stage_3", N3 },
    { "Sleep stage N2", N2 },
    { "S4", N4 },
    { "Stage 2 sleep|2", N2 },
    { "Wake|0", W },
    { "REM sleep|5", R },
    { "MT", MT },
  };
  static const char *const bad[] = {
    "", "N5", "Sleep stage 5", "Sleep stage", "stage", "Lights off", "Wake up", "0", "5", "Wake|", "Wake|x",
    "NN1", "Sleep stage WW",
    "a very long annotation text that is certainly not a sleep stage and longer than the buffer",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      BxStage stage = 99;

      if (!bx_stage_from_string (good[i].text, &stage))
        g_error ("'%s' should parse as a stage", good[i].text);
      g_assert_cmpint (stage, ==, good[i].stage);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      BxStage stage = 99;

      if (bx_stage_from_string (bad[i], &stage))
        g_error ("'%s' should not parse as a stage (got %d)", bad[i], stage);
    }
  g_assert_false (bx_stage_from_string (NULL, &(BxStage){ 0 }));

  /* Every code's names read back as the code. */
  for (int s = U; s < BX_STAGE_N_CODES; s++)
    {
      BxStage back = 99;

      g_assert_true (bx_stage_from_string (bx_stage_to_string (s), &back));
      g_assert_cmpint (back, ==, s);
      g_assert_true (bx_stage_from_string (bx_stage_to_annotation_text (s), &back));
      g_assert_cmpint (back, ==, s);
    }
  g_assert_cmpstr (bx_stage_to_string (N3), ==, "N3");
  g_assert_cmpstr (bx_stage_to_string (U), ==, "?");
  g_assert_cmpstr (bx_stage_to_annotation_text (R), ==, "Sleep stage R");
  g_assert_cmpstr (bx_stage_to_annotation_text (N4), ==, "Sleep stage 4");
  g_assert_cmpstr (bx_stage_to_annotation_text (U), ==, "Sleep stage ?");
}

static void
test_stage_set_tables (void)
{
  /* Columns: W, N1, N2, N3, N4, R, MT, unknown. AASM merges S3+S4 into N3;
   * R&K keeps both; sleep/wake maps every sleep stage to 1. MT and unknown
   * have no class. */
  static const int stages[] = { W, N1, N2, N3, N4, R, MT, U };
  static const int aasm[] = { 0, 1, 2, 3, 3, 4, -1, -1 };
  static const int rk[] = { 0, 1, 2, 3, 4, 5, -1, -1 };
  static const int sw[] = { 0, 1, 1, 1, 1, 1, -1, -1 };
  static const char *const aasm_names[] = { "W", "N1", "N2", "N3", "R" };
  static const char *const rk_names[] = { "W", "S1", "S2", "S3", "S4", "R" };
  static const char *const sw_names[] = { "W", "Sleep" };

  for (gsize i = 0; i < G_N_ELEMENTS (stages); i++)
    {
      g_assert_cmpint (bx_stage_set_class (BX_STAGE_SET_AASM, stages[i]), ==, aasm[i]);
      g_assert_cmpint (bx_stage_set_class (BX_STAGE_SET_RK, stages[i]), ==, rk[i]);
      g_assert_cmpint (bx_stage_set_class (BX_STAGE_SET_SLEEP_WAKE, stages[i]), ==, sw[i]);
    }
  g_assert_cmpuint (bx_stage_set_n_classes (BX_STAGE_SET_AASM), ==, 5);
  g_assert_cmpuint (bx_stage_set_n_classes (BX_STAGE_SET_RK), ==, 6);
  g_assert_cmpuint (bx_stage_set_n_classes (BX_STAGE_SET_SLEEP_WAKE), ==, 2);
  for (guint c = 0; c < 5; c++)
    g_assert_cmpstr (bx_stage_set_class_name (BX_STAGE_SET_AASM, c), ==, aasm_names[c]);
  for (guint c = 0; c < 6; c++)
    g_assert_cmpstr (bx_stage_set_class_name (BX_STAGE_SET_RK, c), ==, rk_names[c]);
  for (guint c = 0; c < 2; c++)
    g_assert_cmpstr (bx_stage_set_class_name (BX_STAGE_SET_SLEEP_WAKE, c), ==, sw_names[c]);

  /* The stage a class stands for maps back to that class. */
  for (BxStageSet set = BX_STAGE_SET_AASM; set <= BX_STAGE_SET_SLEEP_WAKE; set++)
    for (guint c = 0; c < bx_stage_set_n_classes (set); c++)
      {
        BxStage s = bx_stage_set_class_stage (set, (int) c);

        if (s != U)
          g_assert_cmpint (bx_stage_set_class (set, s), ==, (int) c);
      }
  g_assert_cmpint (bx_stage_set_class_stage (BX_STAGE_SET_AASM, 3), ==, N3);
  g_assert_cmpint (bx_stage_set_class_stage (BX_STAGE_SET_RK, 4), ==, N4);
  g_assert_cmpint (bx_stage_set_class_stage (BX_STAGE_SET_SLEEP_WAKE, 1), ==, U);
  g_assert_cmpint (bx_stage_set_class_stage (BX_STAGE_SET_AASM, 5), ==, U);
  g_assert_cmpint (bx_stage_set_class_stage (BX_STAGE_SET_AASM, -1), ==, U);

  {
    BxStageSet set;

    g_assert_true (bx_stage_set_from_string ("AASM", &set));
    g_assert_cmpint (set, ==, BX_STAGE_SET_AASM);
    g_assert_true (bx_stage_set_from_string ("r&k", &set));
    g_assert_cmpint (set, ==, BX_STAGE_SET_RK);
    g_assert_true (bx_stage_set_from_string ("sleep-wake", &set));
    g_assert_cmpint (set, ==, BX_STAGE_SET_SLEEP_WAKE);
    g_assert_false (bx_stage_set_from_string ("aasm6", &set));
    for (BxStageSet s = BX_STAGE_SET_AASM; s <= BX_STAGE_SET_SLEEP_WAKE; s++)
      {
        g_assert_true (bx_stage_set_from_string (bx_stage_set_to_string (s), &set));
        g_assert_cmpint (set, ==, s);
      }
  }
}

static void
test_map_to_stage_set (void)
{
  static const int stages[] = { W, N1, N2, N3, N4, R, MT, U };
  static const int aasm[] = { 0, 1, 2, 3, 3, 4, -1, -1 };
  static const int sw[] = { 0, 1, 1, 1, 1, 1, -1, -1 };
  /* AASM classes back to stages: N4 became N3 on the way. */
  static const int aasm_back[] = { W, N1, N2, N3, N3, R, U, U };
  g_autoptr (BxHypnogram) h = hypnogram_from (30, stages, G_N_ELEMENTS (stages));
  g_autoptr (BxHypnogram) a = NULL;
  g_autoptr (BxHypnogram) s = NULL;
  g_autoptr (BxHypnogram) back = NULL;

  bx_hypnogram_ensure_confidence (h);
  h->confidence[3] = 0.5f;
  a = bx_hypnogram_map_to_stage_set (h, BX_STAGE_SET_AASM);
  s = bx_hypnogram_map_to_stage_set (h, BX_STAGE_SET_SLEEP_WAKE);
  back = bx_hypnogram_stages_from_classes (a, BX_STAGE_SET_AASM);
  g_assert_cmpuint (a->n_epochs, ==, G_N_ELEMENTS (stages));
  for (gsize i = 0; i < G_N_ELEMENTS (stages); i++)
    {
      g_assert_cmpint (a->stages[i], ==, aasm[i]);
      g_assert_cmpint (s->stages[i], ==, sw[i]);
      g_assert_cmpint (back->stages[i], ==, aasm_back[i]);
    }
  g_assert_nonnull (a->confidence);
  g_assert_cmpfloat (a->confidence[3], ==, 0.5f);
  /* The source is untouched. */
  g_assert_cmpint (h->stages[4], ==, N4);
}

static void
test_window_label (void)
{
  /* 5 s epochs: W W W W N1 N1 | W W W N1 N1 N1 | W N1 N2 N2 R ? | ? ? ? ? N2 N2 */
  static const int stages[] = { W, W, W, W, N1, N1, W, W, W, N1, N1, N1, W, N1, N2, N2, R, U, U, U, U, U, N2, N2 };
  g_autoptr (BxHypnogram) h = hypnogram_from (5, stages, G_N_ELEMENTS (stages));
  double purity;
  float confidence;

  /* 20 of 30 s W. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 0, 30, 0.0, &purity, NULL), ==, W);
  g_assert_cmpfloat_with_epsilon (purity, 20.0 / 30.0, 1e-12);
  /* Minimum purity 0.7 > 2/3: unknown; 0.6: W. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 0, 30, 0.7, NULL, NULL), ==, U);
  g_assert_cmpint (bx_hypnogram_window_label (h, 0, 30, 0.6, NULL, NULL), ==, W);
  /* 15 s W against 15 s N1: a tie is unknown. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 30, 60, 0.0, &purity, NULL), ==, U);
  g_assert_cmpfloat_with_epsilon (purity, 0.5, 1e-12);
  /* W 5, N1 5, N2 10, R 5, ? 5: N2 wins with a third. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 60, 90, 0.0, &purity, NULL), ==, N2);
  g_assert_cmpfloat_with_epsilon (purity, 10.0 / 30.0, 1e-12);
  /* 20 s unscored beat 10 s N2. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 90, 120, 0.0, NULL, NULL), ==, U);
  /* Unaligned window [2.5, 12.5): W covers all of it. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 2.5, 12.5, 1.0, &purity, NULL), ==, W);
  g_assert_cmpfloat_with_epsilon (purity, 1.0, 1e-12);
  /* [110, 130): 10 s N2 inside, 10 s beyond the end (unscored): tie. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 110, 130, 0.0, NULL, NULL), ==, U);
  /* [112, 130): 8 s N2 against 10 s outside: unscored wins. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 112, 130, 0.0, NULL, NULL), ==, U);
  /* [-4, 6): 4 s before the start are unscored, W covers [0, 6) = 6 s of 10. */
  g_assert_cmpint (bx_hypnogram_window_label (h, -4, 6, 0.0, &purity, NULL), ==, W);
  g_assert_cmpfloat_with_epsilon (purity, 0.6, 1e-12);
  /* Empty window. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 10, 10, 0.0, NULL, NULL), ==, U);

  /* Confidence: the time-weighted mean over the winner's epochs only. Window
   * [0, 30): W epochs 0..3 with 0.2, 0.4, 0.6, 0.8 (5 s each) -> 0.5. */
  bx_hypnogram_ensure_confidence (h);
  h->confidence[0] = 0.2f;
  h->confidence[1] = 0.4f;
  h->confidence[2] = 0.6f;
  h->confidence[3] = 0.8f;
  h->confidence[4] = 0.0f;
  h->confidence[5] = 0.0f;
  g_assert_cmpint (bx_hypnogram_window_label (h, 0, 30, 0.0, NULL, &confidence), ==, W);
  g_assert_cmpfloat_with_epsilon (confidence, 0.5, 1e-6);
  /* [2.5, 12.5): 2.5 s of 0.2, 5 s of 0.4, 2.5 s of 0.6 -> 0.4. */
  g_assert_cmpint (bx_hypnogram_window_label (h, 2.5, 12.5, 0.0, NULL, &confidence), ==, W);
  g_assert_cmpfloat_with_epsilon (confidence, 0.4, 1e-6);
}

static void
test_resample (void)
{
  static const int stages[] = { W, W, W, W, N1, N1, W, W, W, N1, N1, N1, W, N1, N2, N2, R, U, U, U, U, U, N2, N2 };
  /* 30 s majority of each group of six, worked out in test_window_label. */
  static const int expected30[] = { W, U, N2, U };
  /* 10 s: pairs of 5 s epochs; mixed pairs are ties. */
  static const int expected10[] = { W, W, N1, W, U, N1, U, N2, U, U, U, N2 };
  static const int night30[] = { W, N2, N3 };
  /* 30 s -> 20 s over 90 s: [0,20) W, [20,40) 10 W + 10 N2 tie, [40,60) N2,
   * [60,80) N3, [80,100) 10 N3 + 10 outside: tie. */
  static const int expected20[] = { W, U, N2, N3, U };
  g_autoptr (BxHypnogram) h = hypnogram_from (5, stages, G_N_ELEMENTS (stages));
  g_autoptr (BxHypnogram) r30 = bx_hypnogram_resample (h, 30, 0.0);
  g_autoptr (BxHypnogram) r30p = bx_hypnogram_resample (h, 30, 0.7);
  g_autoptr (BxHypnogram) r10 = bx_hypnogram_resample (h, 10, 0.0);
  g_autoptr (BxHypnogram) night = hypnogram_from (30, night30, G_N_ELEMENTS (night30));
  g_autoptr (BxHypnogram) r20 = bx_hypnogram_resample (night, 20, 0.0);
  g_autoptr (BxHypnogram) up = bx_hypnogram_resample (night, 10, 1.0);

  g_assert_cmpuint (r30->n_epochs, ==, G_N_ELEMENTS (expected30));
  g_assert_cmpfloat (r30->epoch_length, ==, 30.0);
  g_assert_null (r30->confidence);
  for (gsize i = 0; i < G_N_ELEMENTS (expected30); i++)
    g_assert_cmpint (r30->stages[i], ==, expected30[i]);
  /* With purity 0.7 the W epoch (2/3) becomes unknown too. */
  g_assert_cmpint (r30p->stages[0], ==, U);
  g_assert_cmpint (r30p->stages[2], ==, U);

  g_assert_cmpuint (r10->n_epochs, ==, G_N_ELEMENTS (expected10));
  for (gsize i = 0; i < G_N_ELEMENTS (expected10); i++)
    g_assert_cmpint (r10->stages[i], ==, expected10[i]);

  g_assert_cmpuint (r20->n_epochs, ==, G_N_ELEMENTS (expected20));
  for (gsize i = 0; i < G_N_ELEMENTS (expected20); i++)
    g_assert_cmpint (r20->stages[i], ==, expected20[i]);

  /* Upsampling repeats each epoch, purity 1. */
  g_assert_cmpuint (up->n_epochs, ==, 9);
  for (guint i = 0; i < 9; i++)
    g_assert_cmpint (up->stages[i], ==, night30[i / 3]);

  /* A start offset is kept. */
  night->start = 15;
  {
    g_autoptr (BxHypnogram) shifted = bx_hypnogram_resample (night, 10, 1.0);

    g_assert_cmpfloat (shifted->start, ==, 15.0);
    g_assert_cmpint (shifted->stages[3], ==, N2);
    g_assert_cmpfloat (bx_hypnogram_get_end (shifted), ==, 105.0);
  }
}

static void
test_summary (void)
{
  /*  i:  0 1 2  3  4  5 6  7  8 9 10 11 12 13 14
   *      W W N1 N2 N2 W N2 N3 R R W  N2 ?  W  ?
   * scored 0..13 -> TIB 14 epochs; sleep 2,3,4,6,7,8,9,11 -> TST 8 epochs;
   * onset 2 -> SOL 2 epochs; last sleep 11 -> SPT 10 epochs; first R 8 ->
   * REM latency 6 epochs; W inside 2..11: 5 and 10 -> WASO 2 epochs, 2
   * awakenings. */
  static const int stages[] = { W, W, N1, N2, N2, W, N2, N3, R, R, W, N2, U, W, U };
  g_autoptr (BxHypnogram) h = hypnogram_from (30, stages, G_N_ELEMENTS (stages));
  BxHypnogramSummary s;

  bx_hypnogram_summarize (h, &s);
  g_assert_cmpuint (s.n_epochs, ==, 15);
  g_assert_cmpuint (s.n_unknown, ==, 2);
  g_assert_cmpuint (s.n_stage[W], ==, 5);
  g_assert_cmpuint (s.n_stage[N1], ==, 1);
  g_assert_cmpuint (s.n_stage[N2], ==, 4);
  g_assert_cmpuint (s.n_stage[N3], ==, 1);
  g_assert_cmpuint (s.n_stage[N4], ==, 0);
  g_assert_cmpuint (s.n_stage[R], ==, 2);
  g_assert_cmpuint (s.n_stage[MT], ==, 0);
  g_assert_cmpfloat (s.epoch_length, ==, 30);
  g_assert_cmpfloat (s.time_in_bed, ==, 14 * 30);
  g_assert_cmpfloat (s.total_sleep_time, ==, 8 * 30);
  g_assert_cmpfloat (s.sleep_period_time, ==, 10 * 30);
  g_assert_cmpfloat_with_epsilon (s.sleep_efficiency, 8.0 / 14.0, 1e-12);
  g_assert_cmpfloat (s.sleep_onset_latency, ==, 2 * 30);
  g_assert_cmpfloat (s.rem_latency, ==, 6 * 30);
  g_assert_cmpfloat (s.waso, ==, 2 * 30);
  g_assert_cmpuint (s.n_awakenings, ==, 2);

  /* Awake all night, then nothing scored at all. */
  {
    static const int awake[] = { U, W, W, MT, W };
    g_autoptr (BxHypnogram) a = hypnogram_from (30, awake, G_N_ELEMENTS (awake));
    g_autoptr (BxHypnogram) empty = bx_hypnogram_new (0, 30, 3);

    bx_hypnogram_summarize (a, &s);
    g_assert_cmpfloat (s.time_in_bed, ==, 4 * 30);
    g_assert_cmpfloat (s.total_sleep_time, ==, 0);
    g_assert_cmpfloat (s.sleep_efficiency, ==, 0);
    g_assert_cmpfloat (s.sleep_onset_latency, ==, -1);
    g_assert_cmpfloat (s.rem_latency, ==, -1);
    g_assert_cmpfloat (s.waso, ==, 0);
    g_assert_cmpuint (s.n_stage[MT], ==, 1);

    bx_hypnogram_summarize (empty, &s);
    g_assert_cmpuint (s.n_unknown, ==, 3);
    g_assert_cmpfloat (s.time_in_bed, ==, 0);
    g_assert_cmpfloat (s.sleep_efficiency, ==, 0);
  }
}

static void
test_new_copy (void)
{
  g_autoptr (BxHypnogram) h = bx_hypnogram_new (10, 30, 4);
  g_autoptr (BxHypnogram) f = bx_hypnogram_new_filled (0, 62, 1, 1);
  g_autoptr (BxHypnogram) c = NULL;
  g_autoptr (BxHypnogram) zero = bx_hypnogram_new (0, 30, 0);
  g_autoptr (BxHypnogram) zero_copy = bx_hypnogram_copy (zero);

  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (h->stages[i], ==, U);
  g_assert_null (h->confidence);
  g_assert_cmpfloat (bx_hypnogram_get_end (h), ==, 130);
  h->stages[2] = N2;
  bx_hypnogram_ensure_confidence (h);
  h->confidence[2] = 0.75f;
  c = bx_hypnogram_copy (h);
  h->stages[2] = W;
  h->confidence[2] = 0;
  g_assert_cmpint (c->stages[2], ==, N2);
  g_assert_cmpfloat (c->confidence[2], ==, 0.75f);
  g_assert_cmpfloat (c->start, ==, 10);
  g_assert_cmpint (f->stages[0], ==, 1);
  g_assert_cmpuint (zero_copy->n_epochs, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/labels/hypnogram/stage-from-string", test_stage_from_string);
  g_test_add_func ("/labels/hypnogram/stage-set-tables", test_stage_set_tables);
  g_test_add_func ("/labels/hypnogram/map-to-stage-set", test_map_to_stage_set);
  g_test_add_func ("/labels/hypnogram/window-label", test_window_label);
  g_test_add_func ("/labels/hypnogram/resample", test_resample);
  g_test_add_func ("/labels/hypnogram/summary", test_summary);
  g_test_add_func ("/labels/hypnogram/new-copy", test_new_copy);
  return g_test_run ();
}
