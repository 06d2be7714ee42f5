/* bx-biox-plugin.c — the BioX-Bridge plugin (skeleton: registers with the host). */
#include "config.h"

#include "bx-biox-plugin.h"

#include <glib/gi18n.h>

#include "bx-extension.h"

#define BX_TYPE_BIOX_PLUGIN (bx_biox_plugin_get_type ())
G_DECLARE_FINAL_TYPE (BxBioxPlugin, bx_biox_plugin, BX, BIOX_PLUGIN, GObject)

struct _BxBioxPlugin
{
  GObject parent_instance;

  BxViewHost *host;   /* weak: the host outlives its extensions */
};

static void bx_biox_plugin_view_extension_init (BxViewExtensionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BxBioxPlugin, bx_biox_plugin, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BX_TYPE_VIEW_EXTENSION, bx_biox_plugin_view_extension_init))

static void
bx_biox_plugin_activate (BxViewExtension *extension, BxViewHost *host)
{
  BX_BIOX_PLUGIN (extension)->host = host;
}

static void
bx_biox_plugin_deactivate (BxViewExtension *extension)
{
  BX_BIOX_PLUGIN (extension)->host = NULL;
}

static void
bx_biox_plugin_view_extension_init (BxViewExtensionInterface *iface)
{
  iface->activate = bx_biox_plugin_activate;
  iface->deactivate = bx_biox_plugin_deactivate;
}

static void
bx_biox_plugin_class_init (BxBioxPluginClass *klass)
{
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
