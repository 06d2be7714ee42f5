/* bx-ui-test-util.c — helpers for GTK tests. */
#include "bx-ui-test-util.h"

#include <math.h>

#include "recording/bx-edf-writer.h"

void
bx_ui_test_isolate_user_dirs (void)
{
  g_autofree char *root = g_dir_make_tmp ("bx-ui-test-XXXXXX", NULL);
  const char *vars[][2] = { { "HOME", "home" }, { "XDG_DATA_HOME", "data" }, { "XDG_CACHE_HOME", "cache" },
                            { "XDG_CONFIG_HOME", "config" }, { "XDG_STATE_HOME", "state" },
                            { "XDG_RUNTIME_DIR", "runtime" } };

  g_assert_nonnull (root);
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (root, vars[i][1], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (vars[i][0], dir, TRUE);
    }
}

gboolean
bx_ui_wait (gboolean (*condition) (gpointer data), gpointer data, double timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  return TRUE;
}

void
bx_ui_spin (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

static gboolean
window_ready (gpointer data)
{
  GtkWidget *w = data;

  return gtk_widget_get_mapped (w) && gtk_widget_get_width (w) > 0;
}

void
bx_ui_wait_for_window (GtkWindow *window)
{
  gtk_window_present (window);
  g_assert_true (bx_ui_wait (window_ready, window, 10));
  bx_ui_spin (0.2);
}

static gboolean
shortcut_matches (GtkShortcut *shortcut, guint keyval, GdkModifierType modifiers)
{
  GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

  if (!GTK_IS_KEYVAL_TRIGGER (trigger))
    return FALSE;
  return gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval
         && gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == modifiers;
}

gboolean
bx_ui_press_key (GtkWidget *widget, guint keyval, GdkModifierType modifiers)
{
  for (GtkWidget *w = widget; w != NULL; w = gtk_widget_get_parent (w))
    {
      g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (w);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

          if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
            continue;
          for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
            {
              g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

              /* As in GTK, a shortcut whose action declines (e.g. GtkPaned's Home
               * when its handle has no focus) lets the key travel on. */
              if (shortcut_matches (shortcut, keyval, modifiers)
                  && gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, w,
                                                   gtk_shortcut_get_arguments (shortcut)))
                return TRUE;
            }
        }
    }
  return FALSE;
}

GdkTexture *
bx_ui_render (GtkWidget *widget)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  int width, height;
  GskRenderNode *node = NULL;
  GskRenderer *renderer;
  GdkTexture *texture;

  /* A widget with a pending relayout draws nothing: let the frame clock run first. */
  for (int attempt = 0; attempt < 50 && node == NULL; attempt++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      bx_ui_spin (0.02);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  if (node == NULL)
    return NULL;
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gsk_render_node_unref (node);
  return texture;
}

char *
bx_ui_screenshot (GtkWidget *widget, const char *name)
{
  const char *build = g_getenv ("BIOX_BUILD_ROOT");
  g_autofree char *dir = g_build_filename (build != NULL ? build : ".", "tests", "ui", "screenshots", NULL);
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  char *path = g_build_filename (dir, file, NULL);
  g_autoptr (GdkTexture) texture = bx_ui_render (widget);

  g_assert_nonnull (texture);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  return path;
}

double
bx_ui_ink_fraction (GdkTexture *texture, int x, int y, int width, int height)
{
  int tw = gdk_texture_get_width (texture), th = gdk_texture_get_height (texture);
  gsize stride = (gsize) tw * 4;
  g_autofree guchar *pixels = g_malloc (stride * th);
  g_autoptr (GHashTable) counts = g_hash_table_new (NULL, NULL);
  guint32 background = 0;
  guint best = 0, inked = 0, total = 0;

  gdk_texture_download (texture, pixels, stride);
  x = CLAMP (x, 0, tw);
  y = CLAMP (y, 0, th);
  width = MIN (width, tw - x);
  height = MIN (height, th - y);
  for (int r = y; r < y + height; r++)
    for (int c = x; c < x + width; c++)
      {
        guint32 p = *(guint32 *) (pixels + r * stride + c * 4);
        guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (p))) + 1;

        g_hash_table_insert (counts, GUINT_TO_POINTER (p), GUINT_TO_POINTER (n));
        if (n > best)
          {
            best = n;
            background = p;
          }
      }
  for (int r = y; r < y + height; r++)
    for (int c = x; c < x + width; c++)
      {
        const guchar *p = pixels + r * stride + c * 4;
        const guchar *b = (const guchar *) &background;
        int d = abs (p[0] - b[0]) + abs (p[1] - b[1]) + abs (p[2] - b[2]);

        inked += d > 60;
        total++;
      }
  return total > 0 ? (double) inked / total : 0;
}

double
bx_ui_unlike_fraction (GdkTexture *texture, int ref_x, int ref_y, int x, int y, int width, int height)
{
  int tw = gdk_texture_get_width (texture), th = gdk_texture_get_height (texture);
  gsize stride = (gsize) tw * 4;
  g_autofree guchar *pixels = g_malloc (stride * th);
  const guchar *ref;
  guint unlike = 0, total = 0;

  g_assert_true (ref_x >= 0 && ref_x < tw && ref_y >= 0 && ref_y < th);
  gdk_texture_download (texture, pixels, stride);
  ref = pixels + ref_y * stride + ref_x * 4;
  for (int r = MAX (y, 0); r < MIN (y + height, th); r++)
    for (int c = MAX (x, 0); c < MIN (x + width, tw); c++)
      {
        const guchar *p = pixels + r * stride + c * 4;

        unlike += abs (p[0] - ref[0]) + abs (p[1] - ref[1]) + abs (p[2] - ref[2]) > 60;
        total++;
      }
  return total > 0 ? (double) unlike / total : 0;
}

char *
bx_ui_write_test_edf (const char *dir, const char *name, guint n_channels, double seconds, double rate)
{
  char *path = g_build_filename (dir, name, NULL);
  gint64 n = (gint64) (seconds * rate);
  g_autofree BxWriteChannel *channels = g_new0 (BxWriteChannel, n_channels);
  g_autoptr (GPtrArray) buffers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDateTime) start = g_date_time_new_utc (2024, 1, 1, 22, 30, 0);
  g_autoptr (GError) error = NULL;
  BxWriteHeader header = { 0 };

  for (guint c = 0; c < n_channels; c++)
    {
      float *x = g_new (float, n);
      char *label = g_strdup_printf ("EEG C%u", c + 1);

      /* 1 + c Hz sine of 40 µV plus a slow 0.1 Hz wave: visible at any zoom. */
      for (gint64 i = 0; i < n; i++)
        x[i] = (float) (40 * sin (2 * G_PI * (1 + c) * i / rate) + 20 * sin (2 * G_PI * 0.1 * i / rate));
      g_ptr_array_add (buffers, x);
      g_ptr_array_add (labels, label);
      channels[c].label = label;
      channels[c].physical_dimension = "uV";
      channels[c].sample_rate = rate;
      channels[c].physical_min = -200;
      channels[c].physical_max = 200;
      channels[c].samples = x;
      channels[c].n_samples = n;
    }
  header.file_type = BX_FILE_EDFPLUS_C;
  header.start = start;
  header.record_duration = 1;
  g_assert_true (bx_edf_write (path, &header, channels, n_channels, NULL, &error));
  g_assert_no_error (error);
  return path;
}
