/* restoreFile: one small file of a plain archive restored in one call (restore-file.c). */
#ifndef DORMOUSE_RESTORE_FILE_H
#define DORMOUSE_RESTORE_FILE_H

#include <node_api.h>

napi_value dn_restore_file(napi_env env, napi_callback_info info);

#endif
