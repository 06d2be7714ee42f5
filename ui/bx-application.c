/* bx-application.c — application start-up, command line, demo night, style. */
#include "config.h"

#include "bx-application-private.h"

#include <glib/gi18n.h>

#include "bx-extension.h"
#include "bx-window.h"
#ifdef BX_HAVE_SIM
#include "sim/bx-sim-night.h"
#endif
#ifdef BX_HAVE_BIOX_PLUGIN
#include "bx-biox-plugin.h"
#endif

G_DEFINE_FINAL_TYPE (BxApplication, bx_application, ADW_TYPE_APPLICATION)

void
bx_application_load_plugins (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      bx_extension_points_ensure ();
#ifdef BX_HAVE_BIOX_PLUGIN
      bx_biox_plugin_register (NULL);
#endif
      bx_extension_load_modules ();
      g_once_init_leave (&done, 1);
    }
}

static BxWindow *
get_window (BxApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL && BX_IS_WINDOW (window))
    return BX_WINDOW (window);
  return bx_window_new (GTK_APPLICATION (self));
}

static void
apply_style (BxApplication *self)
{
  static const AdwColorScheme schemes[] = { ADW_COLOR_SCHEME_DEFAULT, ADW_COLOR_SCHEME_FORCE_LIGHT,
                                            ADW_COLOR_SCHEME_FORCE_DARK };
  int style = g_settings_get_enum (self->settings, "style");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      schemes[CLAMP (style, 0, (int) G_N_ELEMENTS (schemes) - 1)]);
}

/* The demo: night 1 is opened and predicted; night 2 (another sleeper, seed
 * 2) trains the EEG task head and the bridge, so the agreement shown is
 * with a night the transfer never saw (as `bioxbridge-cli demo`). */
static char *
demo_path (guint night)
{
  return g_build_filename (g_get_user_cache_dir (), "bioxbridge",
                           night == 1 ? "demo-night-v1.edf" : "demo-training-night-v1.edf", NULL);
}

#ifdef BX_HAVE_SIM
static void
generate_demo_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  for (guint night = 1; night <= 2; night++)
    {
      g_autofree char *path = demo_path (night);
      g_autofree char *dir = g_path_get_dirname (path);
      g_autoptr (GError) error = NULL;
      BxSimParams params;

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      bx_sim_params_init (&params);
      if (night == 2)
        {
          /* Another sleeper; 3 h (360 epochs) trains the demo's bridge in well
           * under a minute on two cores. */
          params.seed += 1;
          params.hours = 3;
        }
      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot create the folder “%s”"), dir);
          return;
        }
      if (!bx_sim_night_write_edf (&params, path, cancellable, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}
#endif

static void
on_demo_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BxApplication *self = BX_APPLICATION (source);
  g_autoptr (GError) error = NULL;
  BxWindow *window = get_window (self);

  gtk_window_present (GTK_WINDOW (window));
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not make the demo night: %s"), error->message);

      bx_window_show_toast (window, message);
      return;
    }
  {
    g_autofree char *path = demo_path (1), *training = demo_path (2);
    g_autoptr (GFile) file = g_file_new_for_path (path);
    BxRecordingPage *page = bx_window_open_file (window, file, NULL);

    /* Out of the box: EEG -> ECG transfer with the built-in encoders runs at
     * once in the BioX-Bridge page; its prediction appears as a track. */
    if (page != NULL && bx_recording_page_show_sidebar_page (page, "biox-bridge"))
      gtk_widget_activate_action_variant (GTK_WIDGET (page), "plugin.transfer-demo", g_variant_new_string (training));
  }
}

void
bx_application_open_demo (BxApplication *self)
{
  g_autofree char *path = demo_path (1), *training = demo_path (2);
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, on_demo_ready, NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS) && g_file_test (training, G_FILE_TEST_EXISTS))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
#ifdef BX_HAVE_SIM
  bx_window_show_toast (get_window (self), _("Generating the demo night…"));
  g_task_run_in_thread (task, generate_demo_thread);
#else
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("this build has no synthetic night generator"));
#endif
}

static void
bx_application_startup (GApplication *application)
{
  BxApplication *self = BX_APPLICATION (application);

  G_APPLICATION_CLASS (bx_application_parent_class)->startup (application);
  g_set_application_name (_("BioX Bridge"));
  gtk_window_set_default_icon_name (APP_ID);
  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::style", G_CALLBACK (apply_style), self, G_CONNECT_SWAPPED);
  apply_style (self);
  bx_application_load_plugins ();
  _bx_application_actions_init (self);
}

static void
bx_application_activate (GApplication *application)
{
  BxApplication *self = BX_APPLICATION (application);
  BxWindow *window = get_window (self);

  gtk_window_present (GTK_WINDOW (window));
  if (self->demo)
    {
      self->demo = FALSE;
      bx_application_open_demo (self);
    }
}

static void
bx_application_open (GApplication *application, GFile **files, int n_files, const char *hint)
{
  BxApplication *self = BX_APPLICATION (application);
  BxWindow *window = get_window (self);

  gtk_window_present (GTK_WINDOW (window));
  for (int i = 0; i < n_files; i++)
    bx_window_open_file (window, files[i], NULL);
  if (self->demo)
    {
      self->demo = FALSE;
      bx_application_open_demo (self);
    }
}

static int
bx_application_handle_local_options (GApplication *application, GVariantDict *options)
{
  BxApplication *self = BX_APPLICATION (application);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("bioxbridge %s\n", PACKAGE_VERSION);
      return 0;
    }
  self->demo = g_variant_dict_contains (options, "demo");
  return -1;
}

static void
bx_application_dispose (GObject *object)
{
  BxApplication *self = BX_APPLICATION (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bx_application_parent_class)->dispose (object);
}

static void
bx_application_class_init (BxApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = bx_application_dispose;
  app_class->startup = bx_application_startup;
  app_class->activate = bx_application_activate;
  app_class->open = bx_application_open;
  app_class->handle_local_options = bx_application_handle_local_options;
}

static void
bx_application_init (BxApplication *self)
{
  static const GOptionEntry entries[] = {
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Open the synthetic demo night and label it from its ECG with BioX-Bridge"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };

  self->cancellable = g_cancellable_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[RECORDING…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("View EDF/BDF recordings, score sleep and transfer labels."));
}

BxApplication *
bx_application_new (void)
{
  return g_object_new (BX_TYPE_APPLICATION, "application-id", APP_ID, "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/bioxbridge/BioxBridge", NULL);
}
