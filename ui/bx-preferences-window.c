/* bx-preferences-window.c — preferences bound to GSettings, and the plugins page. */
#include "config.h"

#include "bx-preferences-window.h"

#include <glib/gi18n.h>

#include "bx-extension.h"
#include "recording/bx-modality.h"

struct _BxPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  guint n_plugin_rows;

  GtkSpinButton *threads_spin;
  GtkSpinButton *page_length_spin;
  GtkSwitch *autosave_switch;
  GtkSpinButton *threshold_spin;
  AdwComboRow *style_row;
  AdwComboRow *palette_row;
  AdwPreferencesGroup *colours_group;
  AdwPreferencesGroup *plugins_group;
};

G_DEFINE_FINAL_TYPE (BxPreferencesWindow, bx_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *
modality_title (BxModality m)
{
  switch (m)
    {
    case BX_MODALITY_EEG:
      return _("EEG");
    case BX_MODALITY_EOG:
      return _("EOG");
    case BX_MODALITY_EMG:
      return _("EMG");
    case BX_MODALITY_ECG:
      return _("ECG");
    case BX_MODALITY_PPG:
      return _("Pulse (PPG)");
    case BX_MODALITY_RESP:
      return _("Respiration");
    case BX_MODALITY_SPO2:
      return _("Oxygen Saturation");
    case BX_MODALITY_POSITION:
      return _("Body Position");
    default:
      return _("Other");
    }
}

static void
on_colour_set (GtkColorButton *button, BxPreferencesWindow *self)
{
  guint m = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "modality"));
  g_auto (GStrv) colours = g_settings_get_strv (self->settings, "modality-colours");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) updated = NULL;
  GdkRGBA rgba;
  g_autofree char *hex = NULL;

  gtk_color_chooser_get_rgba (GTK_COLOR_CHOOSER (button), &rgba);
  hex = g_strdup_printf ("#%02x%02x%02x", (int) (rgba.red * 255 + 0.5), (int) (rgba.green * 255 + 0.5),
                         (int) (rgba.blue * 255 + 0.5));
  for (guint i = 0; i < BX_N_MODALITIES; i++)
    {
      if (i == m)
        g_strv_builder_add (builder, hex);
      else if (i < g_strv_length (colours))
        g_strv_builder_add (builder, colours[i]);
      else
        g_strv_builder_add (builder, "#3d3846");
    }
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "modality-colours", (const char *const *) updated);
}

static void
build_colour_rows (BxPreferencesWindow *self)
{
  g_auto (GStrv) colours = g_settings_get_strv (self->settings, "modality-colours");

  for (guint m = 0; m < BX_N_MODALITIES; m++)
    {
      GtkWidget *row = adw_action_row_new ();
      GdkRGBA rgba;
      GtkWidget *button;

      if (m >= g_strv_length (colours) || !gdk_rgba_parse (&rgba, colours[m]))
        gdk_rgba_parse (&rgba, "#3d3846");
      button = gtk_color_button_new_with_rgba (&rgba);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      g_object_set_data (G_OBJECT (button), "modality", GUINT_TO_POINTER (m));
      g_signal_connect (button, "color-set", G_CALLBACK (on_colour_set), self);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), modality_title ((BxModality) m));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY, row, NULL, -1);
      adw_preferences_group_add (self->colours_group, row);
    }
}

static void
build_plugin_rows (BxPreferencesWindow *self)
{
  GPtrArray *plugins = bx_extension_get_plugins ();

  if (plugins->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No plugins loaded"));
      adw_preferences_group_add (self->plugins_group, row);
      return;
    }
  for (guint i = 0; i < plugins->len; i++)
    {
      BxPluginInfo *info = g_ptr_array_index (plugins, i);
      GtkWidget *row = adw_expander_row_new ();
      GtkWidget *detail = adw_action_row_new ();
      g_autofree char *origin = g_markup_escape_text (info->origin, -1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), info->title);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), info->description);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (detail), _("Origin"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (detail), origin);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail);
      adw_preferences_group_add (self->plugins_group, row);
      self->n_plugin_rows++;
    }
}

static gboolean
enum_to_selected (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *const *nicks = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; nicks[i] != NULL; i++)
    if (g_str_equal (nicks[i], nick))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
selected_to_enum (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const char *const *nicks = user_data;
  guint i = g_value_get_uint (value);

  if (i >= g_strv_length ((char **) nicks))
    return NULL;
  return g_variant_new_string (nicks[i]);
}

static void
bx_preferences_window_dispose (GObject *object)
{
  BxPreferencesWindow *self = BX_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), BX_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bx_preferences_window_parent_class)->dispose (object);
}

static void
bx_preferences_window_class_init (BxPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bx_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/bioxbridge/BioxBridge/bx-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, page_length_spin);
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, autosave_switch);
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, threshold_spin);
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, palette_row);
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, colours_group);
  gtk_widget_class_bind_template_child (widget_class, BxPreferencesWindow, plugins_group);
}

static void
bx_preferences_window_init (BxPreferencesWindow *self)
{
  static const char *style_nicks[] = { "follow", "light", "dark", NULL };
  static const char *palette_nicks[] = { "modality", "monochrome", NULL };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);

  g_settings_bind (self->settings, "threads", gtk_spin_button_get_adjustment (self->threads_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "page-length", gtk_spin_button_get_adjustment (self->page_length_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "autosave", self->autosave_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "low-confidence-threshold", gtk_spin_button_get_adjustment (self->threshold_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "style", self->style_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                enum_to_selected, selected_to_enum, (gpointer) style_nicks, NULL);
  g_settings_bind_with_mapping (self->settings, "trace-palette", self->palette_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, enum_to_selected, selected_to_enum, (gpointer) palette_nicks,
                                NULL);
  build_colour_rows (self);
  build_plugin_rows (self);
}

BxPreferencesWindow *
bx_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (BX_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}

guint
bx_preferences_window_get_n_plugin_rows (BxPreferencesWindow *self)
{
  return self->n_plugin_rows;
}
