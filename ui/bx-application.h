/* bx-application.h — the BioX Bridge application (AdwApplication). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BX_TYPE_APPLICATION (bx_application_get_type ())
G_DECLARE_FINAL_TYPE (BxApplication, bx_application, BX, APPLICATION, AdwApplication)

BxApplication *bx_application_new (void);

/* Registers the compiled-in plugins and loads the plugin modules (once). */
void bx_application_load_plugins (void);

/* Opens the synthetic demo night, generating it into the user cache folder
 * the first time. */
void bx_application_open_demo (BxApplication *self);

G_END_DECLS
