/* fscache.h: umbrella header of libfscache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#define FS_CACHE_INSIDE
#include "fs-cache-version.h"
#include "fs-cache-error.h"
#include "fs-cache-info.h"
#include "fs-cache-entry.h"
#include "fs-cache-item.h"
#include "fs-cache-stats.h"
#include "fs-cache-manifest.h"
#include "fs-cache-manifest-node.h"
#include "fs-cache-difference.h"
#include "fs-cache-transfer.h"
#include "fs-cache.h"
#include "fs-cache-enums.h"
#undef FS_CACHE_INSIDE
