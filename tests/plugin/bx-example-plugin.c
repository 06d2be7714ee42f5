/* bx-example-plugin.c — a tiny external plugin, loaded as a GIO module by test-plugin.
 *
 * It proves the module path end to end: g_io_module_load() registers a
 * dynamic type implementing BxViewExtension; on activate it adds an overlay
 * track (alternating W/N2 per 5 minutes, confidence rising within each run),
 * a sidebar page and an action "plugin.example-mark" that adds an annotation.
 * The host API symbols resolve against the executable that loads it.
 */
#include <gio/gio.h>
#include <gtk/gtk.h>

#include "bx-extension.h"

#define BX_TYPE_EXAMPLE_PLUGIN (bx_example_plugin_get_type ())
G_DECLARE_FINAL_TYPE (BxExamplePlugin, bx_example_plugin, BX, EXAMPLE_PLUGIN, GObject)

struct _BxExamplePlugin
{
  GObject parent_instance;

  BxViewHost *host;
  BxOverlayTrack *track;
  GtkWidget *page;
};

static void bx_example_plugin_view_extension_init (BxViewExtensionInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (BxExamplePlugin, bx_example_plugin, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (BX_TYPE_VIEW_EXTENSION,
                                                               bx_example_plugin_view_extension_init))

/* Exported for the modules API; declared here to satisfy -Wmissing-prototypes. */
G_MODULE_EXPORT void g_io_module_load (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);
G_MODULE_EXPORT char **g_io_module_query (void);

static void
mark_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  BxExamplePlugin *self = user_data;

  if (self->host != NULL)
    bx_view_host_add_annotation (self->host, 60, 30, "Example plugin mark");
}

static void
bx_example_plugin_activate (BxViewExtension *extension, BxViewHost *host)
{
  BxExamplePlugin *self = BX_EXAMPLE_PLUGIN (extension);
  const BxHypnogram *scoring = bx_view_host_get_scoring (host);
  g_autoptr (BxHypnogram) labels = bx_hypnogram_new (0, scoring->epoch_length, scoring->n_epochs);
  g_autoptr (GSimpleAction) action = g_simple_action_new ("example-mark", NULL);

  self->host = host;
  bx_hypnogram_ensure_confidence (labels);
  for (guint e = 0; e < labels->n_epochs; e++)
    {
      guint run = e / 10, within = e % 10;

      labels->stages[e] = run % 2 == 0 ? BX_STAGE_WAKE : BX_STAGE_N2;
      labels->confidence[e] = 0.3f + 0.07f * within;
    }
  self->track = bx_overlay_track_new ("Example plugin track", labels);
  bx_view_host_add_overlay_track (host, self->track);

  self->page = g_object_ref_sink (gtk_label_new ("Example plugin page"));
  bx_view_host_add_sidebar_page (host, "example", "Example", self->page);

  g_signal_connect (action, "activate", G_CALLBACK (mark_activated), self);
  g_action_map_add_action (bx_view_host_get_action_map (host), G_ACTION (action));
}

static void
bx_example_plugin_deactivate (BxViewExtension *extension)
{
  BxExamplePlugin *self = BX_EXAMPLE_PLUGIN (extension);

  if (self->host != NULL)
    {
      bx_view_host_remove_overlay_track (self->host, self->track);
      bx_view_host_remove_sidebar_page (self->host, self->page);
      g_action_map_remove_action (bx_view_host_get_action_map (self->host), "example-mark");
    }
  g_clear_object (&self->track);
  g_clear_object (&self->page);
  self->host = NULL;
}

static void
bx_example_plugin_view_extension_init (BxViewExtensionInterface *iface)
{
  iface->activate = bx_example_plugin_activate;
  iface->deactivate = bx_example_plugin_deactivate;
}

static void
bx_example_plugin_class_init (BxExamplePluginClass *klass)
{
}

static void
bx_example_plugin_class_finalize (BxExamplePluginClass *klass)
{
}

static void
bx_example_plugin_init (BxExamplePlugin *self)
{
}

void
g_io_module_load (GIOModule *module)
{
  bx_example_plugin_register_type (G_TYPE_MODULE (module));
  bx_extension_register (module, BX_TYPE_EXAMPLE_PLUGIN, "example-track", "Example Track",
                         "Adds a label track, a sidebar page and an action");
}

void
g_io_module_unload (GIOModule *module)
{
}

char **
g_io_module_query (void)
{
  char *points[] = { (char *) BX_VIEW_EXTENSION_POINT, NULL };

  return g_strdupv (points);
}
