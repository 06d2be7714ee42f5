/* bx-dsp.h — all of core/dsp: signal processing for the viewer and for the
 * BioX-Bridge preprocessing pipelines (see BIOX_BRIDGE_SPEC.md §4). */
#pragma once

#include "bx-dsp-error.h"
#include "bx-fft.h"
#include "bx-window.h"
#include "bx-filter.h"
#include "bx-resample.h"
#include "bx-normalize.h"
#include "bx-epoch.h"
#include "bx-cwt.h"
