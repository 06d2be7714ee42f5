/* bx-biox-plugin.c — the BioX-Bridge plugin: a transfer-assistant sidebar
 * page and its "plugin.transfer-*" actions for every open recording.
 *
 * Actions (host action map; parameter types in brackets):
 *   transfer-search                 head + features + position search
 *   transfer-train                  bridge training + prediction of this recording
 *   transfer-run                    search, then train + predict with the search's choice
 *   transfer-demo [s]               the built-in demo: night [s] trains, this night is predicted
 *   transfer-cancel                 stops the running job (nothing half-written)
 *   transfer-apply-bridge [s]       predicts with a bridge file ("" = ask)
 *   transfer-save-bridge [s]        saves the trained bridge ("" = ask)
 *   transfer-export [s]             writes the predictions (EDF+/CSV/TSV by extension; "" = ask)
 *   transfer-accept-epoch           predicted stage → scoring, next epoch
 *   transfer-reject-epoch           drops the prediction of this epoch, next epoch
 *   transfer-accept-confident [d]   scores unscored epochs predicted with confidence ≥ d
 */
#include "config.h"

#include "bx-biox-plugin.h"

#include <glib/gi18n.h>

#include "bx-extension.h"
#include "bx-transfer-panel.h"

#define BX_TYPE_BIOX_PLUGIN (bx_biox_plugin_get_type ())
G_DECLARE_FINAL_TYPE (BxBioxPlugin, bx_biox_plugin, BX, BIOX_PLUGIN, GObject)

struct _BxBioxPlugin
{
  GObject parent_instance;

  BxViewHost *host; /* weak: the host outlives its extensions */
  BxTransferPanel *panel;
};

static void bx_biox_plugin_view_extension_init (BxViewExtensionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BxBioxPlugin, bx_biox_plugin, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BX_TYPE_VIEW_EXTENSION, bx_biox_plugin_view_extension_init))

static void
report (BxBioxPlugin *self, GError *error)
{
  if (error != NULL)
    g_warning ("BioX-Bridge: %s", error->message);
}

static void
act_search (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_search (BX_BIOX_PLUGIN (data)->panel);
}

static void
act_train (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_train (BX_BIOX_PLUGIN (data)->panel);
}

static void
act_run_all (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_run_all (BX_BIOX_PLUGIN (data)->panel);
}

static void
act_demo (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_run_demo (BX_BIOX_PLUGIN (data)->panel, g_variant_get_string (p, NULL));
}

static void
act_cancel (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_cancel (BX_BIOX_PLUGIN (data)->panel);
}

static void
act_apply (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_apply_bridge (BX_BIOX_PLUGIN (data)->panel, g_variant_get_string (p, NULL));
}

static void
save_or_ask (BxBioxPlugin *self, GVariant *p, gboolean bridge)
{
  const char *path = g_variant_get_string (p, NULL);
  g_autoptr (GError) error = NULL;

  if (path[0] == '\0')
    bx_transfer_panel_ask_save (self->panel, bridge);
  else if (!(bridge ? bx_transfer_panel_save_bridge (self->panel, path, &error)
                    : bx_transfer_panel_export (self->panel, path, &error)))
    report (self, error);
}

static void
act_save_bridge (GSimpleAction *a, GVariant *p, gpointer data)
{
  save_or_ask (BX_BIOX_PLUGIN (data), p, TRUE);
}

static void
act_export (GSimpleAction *a, GVariant *p, gpointer data)
{
  save_or_ask (BX_BIOX_PLUGIN (data), p, FALSE);
}

static void
act_accept (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_accept_epoch (BX_BIOX_PLUGIN (data)->panel);
}

static void
act_reject (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_reject_epoch (BX_BIOX_PLUGIN (data)->panel);
}

static void
act_accept_confident (GSimpleAction *a, GVariant *p, gpointer data)
{
  bx_transfer_panel_accept_confident (BX_BIOX_PLUGIN (data)->panel, g_variant_get_double (p));
}

static const GActionEntry actions[] = {
  { .name = "transfer-search", .activate = act_search },
  { .name = "transfer-train", .activate = act_train },
  { .name = "transfer-run", .activate = act_run_all },
  { .name = "transfer-demo", .activate = act_demo, .parameter_type = "s" },
  { .name = "transfer-cancel", .activate = act_cancel },
  { .name = "transfer-apply-bridge", .activate = act_apply, .parameter_type = "s" },
  { .name = "transfer-save-bridge", .activate = act_save_bridge, .parameter_type = "s" },
  { .name = "transfer-export", .activate = act_export, .parameter_type = "s" },
  { .name = "transfer-accept-epoch", .activate = act_accept },
  { .name = "transfer-reject-epoch", .activate = act_reject },
  { .name = "transfer-accept-confident", .activate = act_accept_confident, .parameter_type = "d" },
};

static void
bx_biox_plugin_activate (BxViewExtension *extension, BxViewHost *host)
{
  BxBioxPlugin *self = BX_BIOX_PLUGIN (extension);

  self->host = host;
  self->panel = g_object_ref_sink (bx_transfer_panel_new (host));
  g_action_map_add_action_entries (bx_view_host_get_action_map (host), actions, G_N_ELEMENTS (actions), self);
  bx_transfer_panel_actions_ready (self->panel);
  bx_view_host_add_sidebar_page (host, "biox-bridge", _("BioX-Bridge"), GTK_WIDGET (self->panel));
}

static void
bx_biox_plugin_deactivate (BxViewExtension *extension)
{
  BxBioxPlugin *self = BX_BIOX_PLUGIN (extension);

  if (self->host == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    g_action_map_remove_action (bx_view_host_get_action_map (self->host), actions[i].name);
  bx_transfer_panel_detach (self->panel);
  bx_view_host_remove_sidebar_page (self->host, GTK_WIDGET (self->panel));
  g_clear_object (&self->panel);
  self->host = NULL;
}

static void
bx_biox_plugin_view_extension_init (BxViewExtensionInterface *iface)
{
  iface->activate = bx_biox_plugin_activate;
  iface->deactivate = bx_biox_plugin_deactivate;
}

static void
bx_biox_plugin_dispose (GObject *object)
{
  BxBioxPlugin *self = BX_BIOX_PLUGIN (object);

  g_clear_object (&self->panel);
  G_OBJECT_CLASS (bx_biox_plugin_parent_class)->dispose (object);
}

static void
bx_biox_plugin_class_init (BxBioxPluginClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bx_biox_plugin_dispose;
}

static void
bx_biox_plugin_init (BxBioxPlugin *self)
{
}

void
bx_biox_plugin_register (GIOModule *module)
{
  bx_extension_register (module, BX_TYPE_BIOX_PLUGIN, "biox-bridge", _("BioX-Bridge"),
                         _("Cross-modal label transfer between biosignal foundation models"));
}
