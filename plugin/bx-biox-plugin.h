/* bx-biox-plugin.h — the BioX-Bridge plugin (skeleton: registers with the host).
 *
 * The plugin is compiled into the application (bx_biox_plugin_register (NULL)
 * at start-up). Its panels and actions (pick modalities and models, train a
 * bridge, predict labels as an overlay track) arrive with the plugin's own
 * issue; for now it registers, so the plugin page lists it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* `module`: NULL when compiled in, the GIOModule when loaded as a module. */
void bx_biox_plugin_register (GIOModule *module);

G_END_DECLS
